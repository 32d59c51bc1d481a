"""Use cases of compliance: the responsible person, the documents, the pack."""

from derbes.compliance.model import NewAppointment
from derbes.compliance.service.documents import DocumentLine, documents
from derbes.compliance.service.pack import (
    PACK_ACTION,
    ChainResult,
    CompliancePack,
    IncidentLine,
    RequestCounts,
    compliance_pack,
    walk_chains,
)
from derbes.compliance.service.responsible import (
    APPOINT_ACTION,
    Responsible,
    appoint,
    responsible,
)

__all__ = ["APPOINT_ACTION", "PACK_ACTION", "ChainResult", "CompliancePack", "DocumentLine",
           "IncidentLine", "NewAppointment", "RequestCounts", "Responsible", "appoint",
           "compliance_pack", "documents", "responsible", "walk_chains"]
