"""Custom actions: rasa-sdk imports every module of this package and registers its actions."""
