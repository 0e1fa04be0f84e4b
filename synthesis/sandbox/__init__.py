"""Running untrusted code: limits, the child's environment, the warm fork server."""
