"""The forwarding relay (SFU) on aiortc, behind `RelayClient`."""
