"""The fleet scan (`mtls-doctor scan`): every custom domain of the chosen accounts and regions,
found with GetDomainNames (REST and HTTP APIs, private domains included) and diagnosed with the
same collector and rules as `domain`, concurrently, within one deadline."""
