"""The lecture room: its Socket.IO namespace, signalling protocol and per-process room state."""
