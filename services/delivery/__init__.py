"""Delivery: when a couple's next prompt is due (clock arithmetic), choosing it from the library, delivering it, reminders."""
