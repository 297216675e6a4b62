"""Real-browser tests: g4f's web front end in Chromium against the test Spaces."""
