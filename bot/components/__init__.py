"""Custom Rasa NLU components for Chinese utility customers."""
