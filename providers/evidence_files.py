"""Handing an evidence file to someone allowed to read it.

Evidence (insurance certificates, DBS policies, CQC reports) is never served from the media URL;
each download goes through a view that checks who is asking (the ``Evidence`` scope rule).
"""

from django.http import FileResponse, Http404

from providers.models import Evidence


def evidence_file_response(evidence: Evidence) -> FileResponse:
    """The file as an attachment under the name it was uploaded with; 404 if the file is gone."""
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404("Not found") from None
    response = FileResponse(handle, as_attachment=True, filename=evidence.original_name)
    # Private documents: never kept by a shared cache, never sniffed into something executable.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
