"""AWS: the only package that imports boto3/botocore (calls, base, collect, served,
s3truststore, s3source); findings, findings_served and snapshot are pure and can be imported
without them."""
