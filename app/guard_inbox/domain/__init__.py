"""Plain data and ports shared by every layer; imports nothing of ours."""
