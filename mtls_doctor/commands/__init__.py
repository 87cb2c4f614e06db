"""One function per headless command: options in, `Report` out. No printing, no exit codes."""
