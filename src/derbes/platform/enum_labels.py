"""The labels of the register's enum choices and the retention phrases (ru, kk, en come
from the catalogues through :func:`derbes.platform.i18n.gettext`).

Apart from :mod:`derbes.platform.i18n` because the tables name the register's model,
whose import costs more than the rest of i18n: a command that only translates a fact
(``derbes id check``) does not load it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from derbes.platform.labels import N_
from derbes.register.model import disclosures as dis
from derbes.register.model import register as reg

ENUM_LABELS: Mapping[type[StrEnum], Mapping[str, str]] = {
    reg.OperatorKind: {
        reg.OperatorKind.PAYMENT_ORGANISATION: N_("Payment organisation"),
        reg.OperatorKind.E_MONEY_ISSUER: N_("Issuer of electronic money"),
        reg.OperatorKind.MICROFINANCE: N_("Microfinance organisation"),
        reg.OperatorKind.BANK: N_("Bank"),
        reg.OperatorKind.E_COMMERCE: N_("E-commerce"),
        reg.OperatorKind.E_MONEY_SYSTEM_OPERATOR: N_("Operator of an electronic money system"),
        reg.OperatorKind.AIFC_PARTICIPANT: N_(
            "Participant of the Astana International Financial Centre"),
        reg.OperatorKind.ISLAMIC_FINANCE: N_("Islamic finance organisation"),
        reg.OperatorKind.PAWNSHOP: N_("Pawnshop"),
        reg.OperatorKind.OTHER: N_("Other"),
    },
    reg.BasisKind: {
        reg.BasisKind.CONSENT: N_("Consent of the subject"),
        reg.BasisKind.CONTRACT: N_("Performance of a contract with the subject"),
        reg.BasisKind.LEGAL_OBLIGATION: N_("Obligation under the law"),
        reg.BasisKind.STATE_REQUEST: N_("Motivated request of a state body"),
        reg.BasisKind.VITAL_INTERESTS: N_("Protection of the life or health of the subject"),
        reg.BasisKind.OPERATOR_CONTRACT: N_("Contract between the operator and the recipient"),
        reg.BasisKind.NOT_STATED: N_("Not stated in the policy"),
    },
    reg.RetentionTrigger: {
        reg.RetentionTrigger.COLLECTED: N_("Collection of the data"),
        reg.RetentionTrigger.ACCOUNT_CLOSED: N_("Closure of the account"),
        reg.RetentionTrigger.CONTRACT_CLOSED: N_("End of the contract"),
        reg.RetentionTrigger.TRANSACTION: N_("The transaction"),
        reg.RetentionTrigger.PURPOSE_ACHIEVED: N_("Achievement of the purpose"),
        reg.RetentionTrigger.CONSENT_WITHDRAWN: N_("Withdrawal of consent"),
        reg.RetentionTrigger.LAST_ACTIVITY: N_("Last activity"),
    },
    reg.AchievedWhen: {
        reg.AchievedWhen.CONTRACT_OPENED: N_("the contract is concluded"),
        reg.AchievedWhen.CONTRACT_CLOSED: N_("the contract ends"),
        reg.AchievedWhen.ACCOUNT_CLOSED: N_("the account is closed"),
        reg.AchievedWhen.CONSENT_WITHDRAWN: N_("consent is withdrawn"),
        reg.AchievedWhen.REQUEST_ANSWERED: N_("the request is answered"),
    },
    reg.AfterRetention: {
        reg.AfterRetention.DESTROY: N_("then destroyed"),
        reg.AfterRetention.ANONYMISE: N_("then anonymised"),
    },
    reg.RecipientRole: {
        reg.RecipientRole.PROCESSOR: N_("Processor acting on the operator's instructions"),
        reg.RecipientRole.THIRD_PARTY: N_("Third party (independent operator)"),
        reg.RecipientRole.STATE_BODY: N_("State body"),
        reg.RecipientRole.CREDIT_BUREAU: N_("Credit bureau"),
        reg.RecipientRole.PAYMENT_SYSTEM: N_("Payment system"),
        reg.RecipientRole.BANK: N_("Bank"),
        reg.RecipientRole.COLLECTION_AGENCY: N_("Collection agency"),
        reg.RecipientRole.IDENTIFICATION_SERVICE: N_("Identification service"),
        reg.RecipientRole.AFFILIATE: N_("Affiliated person"),
        reg.RecipientRole.AUDITOR: N_("Audit organisation"),
    },
    reg.RecipientAction: {
        reg.RecipientAction.COLLECT: N_("collection"),
        reg.RecipientAction.RECORD: N_("recording"),
        reg.RecipientAction.STORE: N_("storage"),
        reg.RecipientAction.USE: N_("use"),
        reg.RecipientAction.TRANSFER: N_("transfer"),
        reg.RecipientAction.VERIFY: N_("verification"),
        reg.RecipientAction.DESTROY: N_("destruction"),
    },
    reg.CrossBorderBasisKind: {
        reg.CrossBorderBasisKind.ADEQUATE_PROTECTION: N_(
            "The receiving state ensures the protection of personal data"
        ),
        reg.CrossBorderBasisKind.CONSENT: N_("Consent of the subject to cross-border transfer"),
        reg.CrossBorderBasisKind.INTERNATIONAL_TREATY: N_(
            "International treaty of the Republic of Kazakhstan"
        ),
        reg.CrossBorderBasisKind.LAW: N_("Case provided for by law"),
        reg.CrossBorderBasisKind.CONTRACT_PERFORMANCE: N_(
            "Performance of a contract with the subject"
        ),
    },
    reg.CookieCategory: {
        reg.CookieCategory.STRICTLY_NECESSARY: N_("Strictly necessary"),
        reg.CookieCategory.FUNCTIONAL: N_("Functional"),
        reg.CookieCategory.ANALYTICS: N_("Analytics"),
        reg.CookieCategory.MARKETING: N_("Marketing"),
    },
    reg.CookieParty: {
        reg.CookieParty.FIRST: N_("First party"),
        reg.CookieParty.THIRD: N_("Third party"),
    },
    reg.ChannelKind: {
        reg.ChannelKind.EMAIL: N_("E-mail"),
        reg.ChannelKind.POSTAL: N_("Post"),
        reg.ChannelKind.OFFICE: N_("In person at the office"),
        reg.ChannelKind.PHONE: N_("Phone"),
        reg.ChannelKind.PERSONAL_CABINET: N_("Personal cabinet"),
        reg.ChannelKind.WEB_FORM: N_("Web form"),
        reg.ChannelKind.EGOV: N_("eGov portal"),
        reg.ChannelKind.MESSENGER: N_("Messenger"),
        reg.ChannelKind.IN_APP: N_("In the mobile app"),
    },
    reg.ConsentChannel: {
        reg.ConsentChannel.WEB_CHECKBOX: N_("Tick box on the website or in the app"),
        reg.ConsentChannel.SMS_OTP: N_("One-time code sent by SMS"),
        reg.ConsentChannel.THREE_DS: N_("3-D Secure confirmation"),
        reg.ConsentChannel.SIGNED_PAPER: N_("Signed paper document"),
        reg.ConsentChannel.ELECTRONIC_SIGNATURE: N_("Electronic digital signature"),
        reg.ConsentChannel.EGOV: N_(
            "State service for controlling access to personal data (eGov)"
        ),
        reg.ConsentChannel.NON_STATE_SERVICE: N_(
            "Non-state service for controlling access to personal data"
        ),
        reg.ConsentChannel.PERSONAL_CABINET: N_("Personal cabinet"),
        reg.ConsentChannel.MOBILE_APP: N_("Mobile app"),
        reg.ConsentChannel.FORM_SUBMISSION: N_("By submitting a form on the site or in the app"),
    },
    reg.DataSourceKind: {
        reg.DataSourceKind.SUBJECT: N_("from you"),
        reg.DataSourceKind.SUBJECT_DEVICE: N_("received automatically from your device"),
        reg.DataSourceKind.REPRESENTATIVE: N_("from your representative"),
        reg.DataSourceKind.CREDIT_BUREAU: N_("credit bureau"),
        reg.DataSourceKind.PENSION_CENTRE: N_("pension centre"),
        reg.DataSourceKind.STATE_DATABASE: N_("state databases"),
        reg.DataSourceKind.PUBLIC_SOURCES: N_("publicly available sources"),
        reg.DataSourceKind.PARTNERS: N_("the operator's partners"),
        reg.DataSourceKind.THIRD_PARTY: N_("third parties"),
        reg.DataSourceKind.ANALYTICS_SERVICES: N_("analytics services"),
        reg.DataSourceKind.OPERATOR: N_("created by the operator"),
    },
    reg.ProcessingMethod: {
        reg.ProcessingMethod.AUTOMATED: N_("with automation tools"),
        reg.ProcessingMethod.MANUAL: N_("without automation tools"),
        reg.ProcessingMethod.MIXED: N_("mixed processing"),
    },
    dis.ComplaintRouteKind: {
        dis.ComplaintRouteKind.OPERATOR: N_("The operator"),
        dis.ComplaintRouteKind.AUTHORISED_BODY: N_(
            "The authorised body for personal data protection"),
        dis.ComplaintRouteKind.COURT: N_("Court"),
        dis.ComplaintRouteKind.OTHER_REGULATOR: N_("Another regulator"),
    },
    reg.SeparateScope: {
        reg.SeparateScope.THIRD_PARTY_TRANSFER: N_("Transfer to third parties"),
        reg.SeparateScope.CROSS_BORDER_TRANSFER: N_("Cross-border transfer"),
        reg.SeparateScope.PUBLICATION: N_("Publication in publicly available sources"),
        reg.SeparateScope.MARKETING: N_("Marketing communications"),
    },
}

# How long data are kept, as one phrase: the period is placed where each
# language wants it («5 лет после прекращения договора», «шарт тоқтатылғаннан
# кейін 5 жыл»).
RETENTION_PHRASES: Mapping[reg.RetentionTrigger, str] = {
    reg.RetentionTrigger.COLLECTED: N_("%(period)s from collection"),
    reg.RetentionTrigger.ACCOUNT_CLOSED: N_("%(period)s after the account is closed"),
    reg.RetentionTrigger.CONTRACT_CLOSED: N_("%(period)s after the contract ends"),
    reg.RetentionTrigger.TRANSACTION: N_("%(period)s after the transaction"),
    reg.RetentionTrigger.PURPOSE_ACHIEVED: N_("%(period)s after the purpose is achieved"),
    reg.RetentionTrigger.CONSENT_WITHDRAWN: N_("%(period)s after consent is withdrawn"),
    reg.RetentionTrigger.LAST_ACTIVITY: N_("%(period)s after the last activity"),
}
