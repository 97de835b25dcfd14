"""The update path: every update recorded before it is acknowledged or handled (the inbox),
floods turned away, what a person is in the middle of (chat state)."""
