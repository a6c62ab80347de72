"""Build the account, container and object rings of the single-node test Swift.

Usage: make-rings.py <etc dir> <account port> <container port> <object port>
One Python process for the three rings (swift-ring-builder would need nine).
"""
import sys

from swift.common.ring import RingBuilder

etc, ports = sys.argv[1], sys.argv[2:5]
for name, port in zip(("account", "container", "object"), ports):
    builder = RingBuilder(6, 1, 1)
    builder.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port),
                     "device": "d1", "weight": 100})
    builder.rebalance()
    builder.get_ring().save("%s/%s.ring.gz" % (etc, name))
