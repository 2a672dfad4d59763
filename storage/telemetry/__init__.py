"""Telemetry: the buffer, the checks of recorded entries, the events published after commit."""
