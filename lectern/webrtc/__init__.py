"""Live lectures: scheduling, signalling and the forwarding relay (SFU) built on aiortc."""
