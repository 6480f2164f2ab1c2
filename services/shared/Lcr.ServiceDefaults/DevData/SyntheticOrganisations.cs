namespace Lcr.ServiceDefaults.DevData;

/// <summary>
/// The organisations of the synthetic city that every service's dev seed refers to. Codes
/// are ODS-shaped; names are for display. Kinds match <c>lcr.identity.v1.OrganisationKind</c>.
/// </summary>
public static class SyntheticOrganisations
{
    public const string BeckettStreetSurgery = "B86001";
    public const string RoundhayRoadMedicalCentre = "B86002";
    public const string KirkstallHealthCentre = "B86003";
    public const string TeachingHospitals = "RR8";
    public const string MentalHealthTrust = "RGD";
    public const string CommunityHealthcare = "RY6";
    public const string AdultSocialCare = "00DA";

    /// <summary>
    /// The organisation that runs the shared care record itself (its platform team and
    /// platform-wide IG team). It contributes nothing and cares for nobody, so it is not in
    /// <see cref="All"/>; only identity registers it.
    /// </summary>
    public const string PlatformOperator = "LCR01";

    /// <summary>The platform operator as an organisation.</summary>
    public static readonly SyntheticOrganisation Platform = new(PlatformOperator, "Leeds Care Record platform team", "SHARED_CARE_RECORD_OPERATOR");

    public static readonly IReadOnlyList<SyntheticOrganisation> All =
    [
        new(BeckettStreetSurgery, "Beckett Street Surgery", "GP_PRACTICE"),
        new(RoundhayRoadMedicalCentre, "Roundhay Road Medical Centre", "GP_PRACTICE"),
        new(KirkstallHealthCentre, "Kirkstall Health Centre", "GP_PRACTICE"),
        new(TeachingHospitals, "Leeds Teaching Hospitals NHS Trust", "ACUTE_HOSPITAL"),
        new(MentalHealthTrust, "Leeds and York Partnership NHS Foundation Trust", "MENTAL_HEALTH_TRUST"),
        new(CommunityHealthcare, "Leeds Community Healthcare NHS Trust", "COMMUNITY"),
        new(AdultSocialCare, "Leeds City Council Adult Social Care", "ADULT_SOCIAL_CARE"),
    ];

    /// <summary>
    /// Cohort indices (into <see cref="SyntheticCohort.Patients"/>) with a role in the dev
    /// scenarios, so every service's seed tells the same story.
    /// </summary>
    public static class Scenario
    {
        /// <summary>The README's example patient: registered at B86001, an inpatient at RR8, no restrictions.</summary>
        public const int ExamplePatient = 0;

        /// <summary>Has opted out of the shared record: nobody sees it, emergency included.</summary>
        public const int OptedOut = 1;

        /// <summary>Has asked for the mental health trust's entries to be withheld.</summary>
        public const int WithholdsMentalHealth = 2;

        /// <summary>Has blocked a named professional (the seeded hospital admin clerk) from viewing.</summary>
        public const int BlocksProfessional = 3;

        /// <summary>Has sensitive entries (e.g. sexual health) released by explicit consent.</summary>
        public const int ReleasesSensitive = 4;

        /// <summary>An open social care case with adult social care and a mental health care team.</summary>
        public const int SocialCareCase = 5;

        /// <summary>
        /// The platform id of the seeded RR8 admin clerk (user name <c>clerk.rr8</c>) whom patient
        /// <see cref="BlocksProfessional"/> blocks: the identity seed creates that professional with
        /// this id and the consent seed blocks it.
        /// </summary>
        public const string BlockedClerkProfessionalId = "0c0a5e11-0000-4000-8000-000000000003";

        /// <summary>
        /// A member of staff at the teaching hospital who is also a patient (registered at
        /// B86001): their record is sealed, naming only their GP (<c>gp.b86001</c>, platform id
        /// <see cref="SealedRecordNamedProfessionalId"/>); everyone else sees the sealed notice.
        /// </summary>
        public const int Sealed = 18;

        /// <summary>
        /// The platform id of the seeded GP at B86001 (user name <c>gp.b86001</c>), the one
        /// professional named on patient <see cref="Sealed"/>'s seal: the identity seed creates
        /// that professional with this id and the consent seed names it.
        /// </summary>
        public const string SealedRecordNamedProfessionalId = "0c0a5e11-0000-4000-8000-000000000018";

        /// <summary>Has a restricted (location-withheld) demographics record.</summary>
        public const int RestrictedDemographics = 39;

        /// <summary>
        /// A temporary NHS number given at the hospital's emergency department (registered at
        /// B86002), later found to be the same person as <see cref="MergedInto"/>: the demographics
        /// seed reports it superseded by that number (notice <c>seed-merge-0001</c>); the clinical
        /// seed contributed entries under it (from RR8) before the merge.
        /// </summary>
        public const int MergedAway = 64;

        /// <summary>The NHS number kept when <see cref="MergedAway"/> was merged into it (registered at B86003).</summary>
        public const int MergedInto = 65;

        /// <summary>A patient who has died: the demographics seed records a date of death 30 days before the seed runs (registered at B86002).</summary>
        public const int Deceased = 67;

        /// <summary>
        /// True for a cohort index with no role in any scenario (not 0-5, sealed, restricted, merged or
        /// deceased): the patients a benchmark may read or write without meeting a scenario's refusal.
        /// </summary>
        public static bool IsOrdinary(int index) =>
            index > SocialCareCase && index is not (Sealed or RestrictedDemographics or MergedAway or MergedInto or Deceased);
    }
}

/// <summary>One synthetic organisation.</summary>
public sealed record SyntheticOrganisation(string OdsCode, string Name, string Kind);
