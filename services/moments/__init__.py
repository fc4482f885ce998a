"""Hard moments: self-soothing for the person, and an optional reassurance request to their partner."""
