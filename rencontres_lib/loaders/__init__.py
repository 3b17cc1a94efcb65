"""One loader per kind of source; each returns a :class:`~rencontres_lib.errors.LoadResult`.

- questionnaire: :func:`rencontres_lib.loaders.questionnaire.load_questionnaire`
- inscriptions: :func:`rencontres_lib.loaders.inscriptions.load_inscriptions`
- entretiens: :func:`rencontres_lib.loaders.entretiens.load_entretiens`
- contributions: :func:`rencontres_lib.loaders.contributions.load_contributions`
"""
