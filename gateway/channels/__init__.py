"""Channel adapters: each turns its wire format into a customer message for gateway.chat and the assistant's
messages back into its own format."""
