"""AWS: the only package that imports boto3/botocore (calls, collect, s3source); findings and
snapshot are pure and can be imported without them."""
