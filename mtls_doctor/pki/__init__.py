"""Certificate work on `cryptography`: loading, describing, host names, API Gateway's policy,
truststore lint and the client verdict. Pure: no sockets, no AWS, no terminal."""
