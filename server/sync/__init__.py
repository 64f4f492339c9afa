"""Sync is transport on top of the op write path (:mod:`server.ops`): devices, push, pull."""
