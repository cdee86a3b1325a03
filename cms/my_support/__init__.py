"""A person's own view of their support, under /my-support/: their budget and how it was worked
out, their approved plan, any change to their budget, their ISF statement in brief, their
direct-payment reviews and whom to contact. Seen only by the person and their representative."""
