"""Pipeline steps, configuration and CLI of crmsync."""
