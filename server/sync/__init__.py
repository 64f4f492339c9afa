"""The one write path: every change is an op applied by ``sync.service.apply_op``."""
