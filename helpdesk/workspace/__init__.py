"""The agents' workspace in the admin: queues, SLA badges, macros and the ticket page."""
