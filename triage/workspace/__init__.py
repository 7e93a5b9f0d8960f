"""The mediator's workspace, without the web: the review queue, triage decisions, the mediation process,
requests typed in by hand, deadlines and outgoing letters. The web pages (triage.web.mediation) and
the terminal view (triage.cli.review) are thin layers over these modules:

- queue.py      pending dossiers oldest first, their suggestion, merge candidates
- review.py     accept, correct, bulk-accept, merge, not a request (labelled examples)
- process.py    status changes along the process, first contact, notes, editable details
- intake.py     manual dossiers (telephone, permanence, courrier remis en main propre)
- deadlines.py  overdue service answers, waiting first contacts, old dossiers; the daily digest
- letters.py    outgoing letters from templates, through the outbox or the print queue
- labels.py     the lists the mediator picks from
"""
