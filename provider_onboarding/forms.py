"""Forms for providers joining the service."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from marketplace.accounts.forms import email_field, name_field, new_password_fields
from marketplace.accounts.services import check_new_password
from marketplace.directory.models import (
    MAX_UNIT_PRICE_PENCE,
    DeliveryMode,
    PriceUnit,
    ProviderKind,
    WorkerGender,
)
from marketplace.directory.services import WEEKDAYS
from marketplace.errors import DomainError
from marketplace.forms import BaseForm, DateInputField
from marketplace.money import format_pence
from provider_onboarding.models import DocumentKind

CQC_LOCATION_ID_PATTERN = r"^\s*1-\d{5,12}\s*$"


class RegisterProviderForm(BaseForm):
    full_name = name_field("Your full name", "Enter your full name")
    email = email_field("Your email address", "Enter your email address")
    password, confirm = new_password_fields()
    kind = RadioField(
        "What kind of provider are you?",
        widget=GovRadioInput(),
        choices=[SelectChoice(kind.value, kind.label) for kind in ProviderKind],
        validators=[InputRequired(message="Select what kind of provider you are")],
    )
    legal_name = StringField(
        "Legal name",
        widget=GovTextInput(),
        description="Your company or charity's name, or your own name if you are a sole trader",
        validators=[
            DataRequired(message="Enter your legal name"),
            Length(max=200, message="Legal name must be 200 characters or fewer"),
        ],
        render_kw={"autocomplete": "organization", "spellcheck": "false"},
    )
    trading_name = StringField(
        "Trading name (optional)",
        widget=GovTextInput(),
        description="The name people know you by, if it is different",
        validators=[
            Optional(),
            Length(max=200, message="Trading name must be 200 characters or fewer"),
        ],
    )
    contact_phone = StringField(
        "Contact phone number",
        widget=GovTextInput(),
        description="For people booking with you. For example, 0161 496 0000 or 07700 900 982",
        validators=[
            DataRequired(message="Enter a contact phone number"),
            Regexp(
                r"^\s*(\+44\s?|0)[\d\s()-]{9,15}$",
                message="Enter a UK phone number, like 0161 496 0000 or 07700 900 982",
            ),
        ],
        render_kw={"autocomplete": "tel", "type": "tel"},
    )
    postcode = StringField(
        "Postcode",
        widget=GovTextInput(),
        description="Where you work from. We never show a sole trader's full postcode.",
        validators=[DataRequired(message="Enter your postcode")],
        render_kw={"autocomplete": "postal-code", "spellcheck": "false"},
    )
    cqc_location_id = StringField(
        "CQC location ID (optional)",
        widget=GovTextInput(),
        description="If the Care Quality Commission registers you. Like 1-123456789",
        validators=[
            Optional(),
            Regexp(
                CQC_LOCATION_ID_PATTERN,
                message="Enter a CQC location ID in the correct format, like 1-123456789",
            ),
        ],
        render_kw={"spellcheck": "false"},
    )
    submit = SubmitField("Create account", widget=GovSubmitInput())

    def validate_postcode(self, field: StringField) -> None:
        from provider_onboarding.services import normalise_postcode

        try:
            field.data = normalise_postcode(field.data or "")
        except DomainError as error:
            raise ValidationError(error.message) from None

    def validate_password(self, field: StringField) -> None:
        try:
            check_new_password(field.data or "", email=self.email.data)
        except DomainError as error:
            raise ValidationError(error.message) from None


DayMonthYearField = DateInputField


class ChecksForm(BaseForm):
    tenant_id = SelectField(
        "Who checks you",
        widget=GovSelect(),
        description="The council or NHS body where you mainly work",
        coerce=int,
        validators=[InputRequired(message="Select who checks you")],
    )
    dbs_certificate_number = StringField(
        "DBS certificate number",
        widget=GovTextInput(),
        description="12 digits, on the top right of your certificate. Leave blank if the CQC "
        "registers you.",
        validators=[Optional()],
        render_kw={"spellcheck": "false", "inputmode": "numeric"},
    )
    dbs_issued_on = DayMonthYearField(
        "DBS certificate issue date",
        description="For example, 27 3 2024",
        validators=[Optional()],
    )
    insurer = StringField(
        "Public liability insurer", widget=GovTextInput(), validators=[Optional()]
    )
    insurance_expires_on = DayMonthYearField(
        "Public liability insurance expiry date",
        description="For example, 31 12 2027",
        validators=[Optional()],
    )
    right_to_work_confirmed = BooleanField(
        "I confirm I have the right to work in the UK", widget=GovCheckboxInput()
    )
    reference_1 = StringField(
        "First reference",
        widget=GovTextInput(),
        description="Name and phone number or email of someone who has employed you or known "
        "you at work",
        validators=[Optional(), Length(max=300)],
    )
    reference_2 = StringField(
        "Second reference", widget=GovTextInput(), validators=[Optional(), Length(max=300)]
    )
    submit = SubmitField("Save checks", widget=GovSubmitInput())


class UploadForm(BaseForm):
    kind = SelectField(
        "What is the document",
        widget=GovSelect(),
        choices=[SelectChoice(kind.value, kind.label) for kind in DocumentKind],
        validators=[InputRequired(message="Select what the document is")],
    )
    file = FileField(
        "Upload a file",
        widget=GovFileInput(),
        description="A PDF, JPG or PNG, smaller than 10 MB",
        validators=[FileRequired(message="Select a file")],
    )
    submit = SubmitField("Upload document", widget=GovSubmitInput())


class DecisionForm(BaseForm):
    move = RadioField(
        "Your decision",
        widget=GovRadioInput(),
        choices=[
            SelectChoice("approve", "Approve"),
            SelectChoice("ask_more", "Ask for more information"),
            SelectChoice("reject", "Reject"),
        ],
        validators=[InputRequired(message="Select your decision")],
    )
    reason = TextAreaField(
        "Reason",
        widget=GovTextArea(),
        description="The provider sees this. Needed to reject or ask for more information.",
        validators=[Optional(), Length(max=2000)],
    )
    submit = SubmitField("Record decision", widget=GovSubmitInput())


class ListingForm(BaseForm):
    title = StringField(
        "Title",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter a title"), Length(max=200)],
    )
    description = TextAreaField(
        "Description",
        widget=GovTextArea(),
        validators=[DataRequired(message="Enter a description"), Length(max=5000)],
    )
    category_ids = SelectMultipleField(
        "Categories",
        widget=GovCheckboxesInput(),
        coerce=int,
        validators=[InputRequired(message="Select at least one category")],
    )
    price = StringField(
        "Price in pounds",
        widget=GovTextInput(),
        description="For example, 21.50",
        validators=[DataRequired(message="Enter a price")],
        render_kw={"inputmode": "decimal", "spellcheck": "false"},
    )
    price_unit = RadioField(
        "Price is",
        widget=GovRadioInput(),
        choices=[SelectChoice(unit.value, unit.label) for unit in PriceUnit],
        validators=[InputRequired(message="Select what the price is for")],
    )
    block_quantity = IntegerField(
        "Block: how many in a block (optional)",
        widget=GovTextInput(),
        description="For 10 sessions for the price of 8, enter 10",
        validators=[Optional(), NumberRange(min=2, max=100, message="Enter 2 to 100")],
    )
    block_pays_for = IntegerField(
        "Block: how many are paid for (optional)",
        widget=GovTextInput(),
        description="For 10 sessions for the price of 8, enter 8",
        validators=[Optional(), NumberRange(min=1, max=99, message="Enter 1 to 99")],
    )
    delivery_mode = RadioField(
        "Where it happens",
        widget=GovRadioInput(),
        choices=[SelectChoice(mode.value, mode.label) for mode in DeliveryMode],
        validators=[InputRequired(message="Select where it happens")],
    )
    postcode = StringField(
        "Postcode",
        widget=GovTextInput(),
        description="Where you travel from, or the venue's postcode",
        validators=[Optional()],
    )
    travel_radius_miles = IntegerField(
        "How far you travel, in miles",
        widget=GovTextInput(),
        validators=[Optional(), NumberRange(min=0, max=200, message="Enter 0 to 200 miles")],
    )
    venue_address = StringField("Venue address", widget=GovTextInput(), validators=[Optional()])
    languages = StringField(
        "Languages (optional)",
        widget=GovTextInput(),
        description="Separate with commas, for example English, Urdu",
        validators=[Optional(), Length(max=300)],
    )
    worker_gender = RadioField(
        "Gender of the worker (optional)",
        widget=GovRadioInput(),
        choices=[
            SelectChoice("", "Not stated"),
            *[SelectChoice(item.value, item.label) for item in WorkerGender],
        ],
        validators=[Optional()],
        default="",
    )
    accessibility_notes = TextAreaField(
        "Accessibility (optional)",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=2000)],
    )
    cancellation_notice_hours = IntegerField(
        "Cancellation notice, in hours",
        widget=GovTextInput(),
        default=24,
        validators=[
            InputRequired(message="Enter the notice you need, in hours"),
            NumberRange(min=0, max=720, message="Enter 0 to 720 hours"),
        ],
    )
    cancellation_charge_percent = IntegerField(
        "Charge for late cancellation, as a percentage of the price",
        widget=GovTextInput(),
        default=0,
        validators=[
            InputRequired(message="Enter the charge as a percentage"),
            NumberRange(min=0, max=100, message="Enter 0 to 100"),
        ],
    )
    works_bank_holidays = BooleanField("I work on bank holidays", widget=GovCheckboxInput())
    submit = SubmitField("Save", widget=GovSubmitInput())

    def validate_price(self, field: StringField) -> None:
        try:
            field.data = pounds_to_pence(field.data or "")
        except DomainError as error:
            raise ValidationError(error.message) from None


def pounds_to_pence(text: str) -> str:
    """'21.50' -> '2150' (as text, since the field stays a string). Raises DomainError."""
    try:
        amount = Decimal(text.strip().lstrip("£").replace(",", ""))
    except InvalidOperation:
        raise DomainError("Enter a price in pounds, like 21.50") from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise DomainError("Enter a price in pounds and pence, like 21.50")
    if amount * 100 > MAX_UNIT_PRICE_PENCE:
        raise DomainError(f"Enter a price of {format_pence(MAX_UNIT_PRICE_PENCE)} or less")
    return str(int(amount * 100))


TIMES = [SelectChoice(f"{h:02d}:{m:02d}", f"{h:02d}:{m:02d}") for h in range(24) for m in (0, 30)]


class AvailabilityForm(BaseForm):
    weekday = SelectField(
        "Day",
        widget=GovSelect(),
        coerce=int,
        choices=[SelectChoice(number, day) for number, day in enumerate(WEEKDAYS)],
        validators=[InputRequired(message="Select a day")],
    )
    start_time = SelectField("From", widget=GovSelect(), choices=TIMES, default="09:00")
    end_time = SelectField(
        "To",
        widget=GovSelect(),
        choices=[*TIMES[1:], SelectChoice("23:59", "midnight")],
        default="17:00",
    )
    submit = SubmitField("Add time", widget=GovSubmitInput())


class ExceptionForm(BaseForm):
    starts_on = DayMonthYearField(
        "First day off",
        validators=[InputRequired(message="Enter the first day off as day, month and year")],
    )
    ends_on = DayMonthYearField(
        "Last day off",
        validators=[InputRequired(message="Enter the last day off as day, month and year")],
    )
    reason = StringField("Reason (optional)", widget=GovTextInput(), validators=[Optional()])
    submit = SubmitField("Add days off", widget=GovSubmitInput())


class BankDetailsForm(BaseForm):
    account_name = StringField(
        "Name on the account",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the name on the account"), Length(max=140)],
    )
    sort_code = StringField(
        "Sort code",
        widget=GovTextInput(),
        description="Must be 6 digits long",
        validators=[
            DataRequired(message="Enter a sort code"),
            Regexp(
                r"^\s*\d{2}[\s-]?\d{2}[\s-]?\d{2}\s*$",
                message="Enter a valid sort code like 309430",
            ),
        ],
        render_kw={"inputmode": "numeric", "spellcheck": "false"},
    )
    account_number = StringField(
        "Account number",
        widget=GovTextInput(),
        description="Must be 8 digits long",
        validators=[
            DataRequired(message="Enter an account number"),
            Regexp(r"^\s*\d{8}\s*$", message="Enter a valid account number like 00733445"),
        ],
        render_kw={"inputmode": "numeric", "spellcheck": "false"},
    )
    submit = SubmitField("Save bank details", widget=GovSubmitInput())


class StaffForm(BaseForm):
    full_name = name_field("Their full name", "Enter their full name")
    email = email_field("Their email address", "Enter their email address")
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        choices=[SelectChoice("staff", "Staff"), SelectChoice("owner", "Owner")],
        default="staff",
        validators=[InputRequired(message="Select a role")],
    )
    submit = SubmitField("Add to team", widget=GovSubmitInput())


class WorkerForm(BaseForm):
    name = StringField(
        "Worker's name",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the worker's name"), Length(max=140)],
    )
    submit = SubmitField("Add worker", widget=GovSubmitInput())


class ImportForm(BaseForm):
    file = FileField(
        "Upload a CSV or Open Referral UK JSON file",
        widget=GovFileInput(),
        description="A .csv or .json file, smaller than 2 MB",
        validators=[FileRequired(message="Select a CSV or JSON file")],
    )
    submit = SubmitField("Check the file", widget=GovSubmitInput())


class ImportConfirmForm(BaseForm):
    digest = HiddenField(
        validators=[
            DataRequired(message="Upload the file again"),
            Regexp(r"^[0-9a-f]{64}$", message="Upload the file again"),
        ]
    )
    format = HiddenField(validators=[AnyOf(["csv", "json"], message="Upload the file again")])
    submit = SubmitField("Import these listings as drafts", widget=GovSubmitInput())
