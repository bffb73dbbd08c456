"""Outage and interruption notices (issue 21): published by the company, answered by address, pushed to subscribers."""
