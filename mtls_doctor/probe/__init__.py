"""The live TLS probe: the only package that opens sockets. `run_probe` does one connection,
one handshake and one small HTTP request, each step under a deadline."""
