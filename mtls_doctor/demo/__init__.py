"""`mtls-doctor demo`: the full diagnosis on a built-in lab, no AWS and no internet needed."""
