"""The gateway: the only public entry point. Channels, tickets, human handoff and the agent console."""
