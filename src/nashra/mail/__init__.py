"""Mail: build a digest's MIME once, personalise it per recipient cheaply, and deliver it exactly once."""
