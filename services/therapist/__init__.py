"""The therapist view: links, consent and scope, assignments, notes, the access log, and the progress they may see."""
