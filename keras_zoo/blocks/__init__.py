"""Reusable multi-layer blocks (residual, inception, dense, transformer, ...)."""
