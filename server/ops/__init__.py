"""The op machinery below the domains: the op envelope, what applying one needs, the merge
rules and the one write path (:func:`server.ops.apply.apply_op`) with its registry."""
