"""The Chatwoot backend: inbox definitions and conversations on a Chatwoot account (API v1).

How a definition maps onto Chatwoot (the README's "Chatwoot" section says the same for users):

* **One Chatwoot inbox per channel.** A Chatwoot inbox *is* one channel, so the definition inbox
  "Support" with an e-mail address and a chat becomes the Chatwoot inboxes
  ``Support · support at acme.example`` and ``Support · Website chat``. The part before `` · `` is
  the definition inbox. Chatwoot refuses ``/ \\ < > @`` in the names of e-mail, API and website
  inboxes and wants them to start and end with a letter or digit (``app/models/inbox.rb``), hence
  "at" in e-mail names. A definition inbox with no channel is held by an **API inbox** named
  exactly like it (it receives nothing unless a program posts to it); that holder is removed again,
  if still empty, once a real channel exists.
* **Inbox-level settings** (members, business hours, routing defaults) are written to every
  Chatwoot inbox of the definition inbox. ``teams`` have no inbox link in Chatwoot: their members
  become inbox members, and the team list is remembered in the ownership marker.
* **Ownership marker**: one *inactive* automation rule per managed inbox, named
  ``[inboxctl] Support (ownership marker)``, whose description carries ``inboxctl:v1:`` and a JSON
  record: the Chatwoot inbox ids (so a rename in Chatwoot does not move or re-create anything), the
  chat and page names by inbox id, ``protect``, the teams, and the inbox-level routing defaults with
  the keys each channel overrides. Rule names are not unique in Chatwoot, so only the description
  tag counts. ``--prune`` deletes only inboxes that have a marker, and a channel's Chatwoot inbox is
  deleted only in a managed inbox (Chatwoot deletes an inbox's conversations with it). No local
  state file is needed.
* **Routing and ticket-like defaults** become one active automation rule per Chatwoot inbox
  (``[inboxctl] <inbox name> (routing)``, event ``conversation_created``, condition ``inbox_id``,
  actions ``assign_team``, ``assign_agent``, ``change_priority``), tagged the same way.
  Auto-assignment (``enable_auto_assignment``) is on unless ``routing.mode = "unassigned"``.
* What Chatwoot cannot hold is a plan error naming the setting, before anything is written: see
  :mod:`inboxctl.backends.chatwoot.capabilities`.
"""
