"""mtls-doctor: find out why AWS API Gateway mutual TLS refuses a client, and how to fix it."""

__version__ = "0.1.0"
