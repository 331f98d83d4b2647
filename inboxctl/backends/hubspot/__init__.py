"""The HubSpot backend: conversations (threads) of a HubSpot account, and inbox definitions verified
and exported against it (HubSpot's public API cannot write inbox settings).

* ``api``: thin calls to the date-versioned ``2026-09`` API (``shared/api/hubspot.md``).
* ``conversations``: listing with HubSpot's filters plus inboxctl's, one thread, the actions.
* ``configuration``: the directory, live inboxes, what a definition asks that HubSpot cannot do.
* ``backend``: ``HubSpotBackend``, pacing itself from HubSpot's rate-limit headers.
"""
