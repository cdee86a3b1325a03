"""The Open Referral UK 3.0 read API over the public directory (``/openreferral/``).

Other councils' and the NHS's tools read the same services the public directory shows, in the
shape the Open Referral UK profile of HSDS 3.0 defines (the spec and schemas are in ``schemas/``).
"""
