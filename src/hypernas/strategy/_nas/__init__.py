"""Private helpers of the NAS strategies: candidate pools and rewards, token coding, the RL controller."""
