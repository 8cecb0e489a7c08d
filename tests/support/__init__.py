"""Helpers shared by test packages (a loopback SOCKS5 proxy)."""
