"""Regenerate the example files README uses (run from the repository root:
`python examples/make_examples.py`). The files are committed, so a newcomer needs nothing but
`pip install .` to try the tool; they stay valid until 2046.

- truststore.pem: a truststore with the faults people meet most: a good chain, an issuing CA
  whose root is missing, and a legacy SHA-1 root.
- client.pem: a client certificate from the partner CA, with its intermediate appended (as a
  client would send it); API Gateway would reject it.
- good-client.pem: a client certificate API Gateway would accept.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.pki_factory import PKI, pem_bundle

HERE = Path(__file__).resolve().parent
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2046, 1, 1, tzinfo=UTC)


def main() -> None:
    pki = PKI(now=START, key_offset=900)
    window = {"not_before": START, "not_after": END}
    root = pki.root("Example Corp Root CA", **window)
    issuing = pki.intermediate(root, "Example Corp Devices CA", **window)
    partner_root = pki.root("Partner Root CA", **window)
    partner = pki.intermediate(partner_root, "Partner Issuing CA", **window)
    legacy = pki.root("Legacy Root CA", hash="sha1", **window)
    (HERE / "truststore.pem").write_bytes(pem_bundle([root, issuing, partner, legacy]))
    client = pki.leaf(partner, "sensor-17.partner.example", **window)
    (HERE / "client.pem").write_bytes(client.pem + partner_root.pem)
    good = pki.leaf(issuing, "device-42.example.com", **window)
    (HERE / "good-client.pem").write_bytes(good.pem)


if __name__ == "__main__":
    main()
