"""The agent REST API under /api/v1/."""
