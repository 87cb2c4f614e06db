"""`mtls-doctor iac PATH`: the mutual TLS mistakes of API Gateway custom domains found in
infrastructure as code before it deploys: Terraform plan or state JSON (`terraform show -json`),
CloudFormation and SAM templates (YAML or JSON, intrinsic functions included) and CDK's
synthesized templates (`cdk.out/*.template.json`).

`load` reads and recognises the files, `cfn` and `terraform` turn each into one `IacTemplate`
(domains, APIs, stages, mappings and truststore objects, each with where it is), `rules` turns
those into findings with the change to make in the tool's own language (`snippets`), `drift`
compares a template with the live domain, and `view` draws the payload."""
