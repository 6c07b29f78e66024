"""The demo courses' text: a category tree and seven training topics, each in English and in Russian.

Data only; demo/courses.py turns it into rows. Lesson bodies are Markdown, rendered by content/markdown.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from lectern.courses.models import LessonKind, Visibility


@dataclass(frozen=True)
class LessonData:
    title: str
    body: str
    kind: LessonKind = LessonKind.TEXT
    url: str | None = None  # LINK lessons
    media: str | None = None  # FILE and VIDEO lessons: the name of a file the loader generates


@dataclass(frozen=True)
class ModuleData:
    title: str
    lessons: tuple[LessonData, ...]


@dataclass(frozen=True)
class CourseData:
    topic: str  # the same for a course's English and Russian versions
    language: str
    title: str
    summary: str
    tags: str
    category: str
    modules: tuple[ModuleData, ...]
    academy: str = "rezekne"  # the owning academy's slug
    visibility: Visibility = Visibility.ALL
    shared_with: tuple[str, ...] = ()  # academy slugs, for SHARED courses
    self_enrol: bool = True
    enrol_key: str | None = None
    enrol_cap: int | None = None


# Top-level categories with their children, in catalogue order.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Border control", ("Document security", "Identification and profiling")),
    (
        "Customs",
        (
            "Risk analysis",
            "X-ray and inspection technology",
            "Radiation control and dual-use goods",
            "Customs procedures and conventions",
        ),
    ),
    ("Human rights and migration", ("Vulnerable migrants",)),
)

CENTRAL_ASIA = ("bishkek", "tashkent", "dushanbe", "almaty")

VIDEO_NAME = "xray-dual-energy-walkthrough.webm"
PDF_NAME = "mrz-check-digit-practice-sheet.pdf"
ICAO_9303_URL = "https://www.icao.int/publications/pages/publication.aspx?docnum=9303"
WCO_RKC_URL = (
    "https://www.wcoomd.org/en/topics/facilitation/instrument-and-tools/conventions/pf_revised_kyoto_conv.aspx"
)

# The practice sheet, one line of the PDF each (Latin-1 only: the PDF uses a standard font without embedding).
PDF_LINES: tuple[str, ...] = (
    "MRZ check digit practice sheet",
    "",
    "Lectern demo course material - ICAO Doc 9303, Part 3",
    "",
    "Method: character values 0-9 as digits, A=10 ... Z=35, filler < = 0;",
    "weights 7, 3, 1 repeated from left to right; check digit = sum modulo 10.",
    "",
    "Exercise 1. Document number    L898902C3     check digit: ___",
    "Exercise 2. Date of birth      740812        check digit: ___",
    "Exercise 3. Date of expiry     120415        check digit: ___",
    "Exercise 4. Document number    AB2134<<<     check digit: ___",
    "Exercise 5. Date of birth      880229        check digit: ___",
    "",
    "Exercise 6. Verify every check digit of this TD3 line 2 (specimen):",
    "    L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    "",
    "Exercise 7. One digit of this line was altered. Which field, and how do you know?",
    "    L898902C36UTO7408122F1204169ZE184226B<<<<<10",
    "",
    "Hand in your answers to your instructor. Do not use an MRZ reader for this sheet.",
)


# --- Document security (English) ---------------------------------------------------------------------------------

DOCUMENTS_EN_SUBSTRATE = """\
## Why the substrate comes first

A forger can imitate a design far more easily than the material it is printed on. Start every examination with
the **substrate**: paper or polycarbonate, its feel, its thickness and its reaction to ultraviolet light.

### Paper-based documents

- **UV-dull paper**: security paper contains no optical brighteners, so it stays dark under 365 nm UV light,
  while ordinary office paper glows blue-white.
- **Watermark**: a multi-tone watermark is formed during papermaking; in transmitted light it shows gradual
  transitions between light and dark. A printed or pressed imitation shows hard edges or is visible in reflected
  light.
- **Security fibres and planchettes**: visible or UV-fluorescent fibres embedded at random in the paper mass; they
  lie *in* the paper, not on its surface.
- **Security thread**: embedded or windowed, sometimes carrying microtext.

### Printing techniques

| Technique | What you see | How to check |
|---|---|---|
| **Intaglio** | raised, sharp lines with a tactile relief; latent image | touch, oblique light, 10x magnifier |
| **Offset with guilloche** | fine interlaced line patterns, rainbow (iris) printing | magnifier: continuous lines |
| **Letterpress** | numbering with ink squeeze and indentation | oblique light, reverse side |
| **Microprinting** | text of 0.2 mm or less, legible under magnification | 10x magnifier: sharp letters |
| **UV-fluorescent ink** | invisible designs that glow under UV | 365 nm UV lamp |

Remember that office offset, inkjet and laser printers build images from **dots**, whereas genuine guilloche and
microprint show **continuous lines**. A rosette made of dots under the magnifier is a strong indicator of a
counterfeit.
"""

DOCUMENTS_EN_OVD = """\
## Optically variable devices (OVDs)

An **OVD** changes its appearance with the angle of view or of illumination. It cannot be reproduced by scanning
or photocopying, which is why almost every modern travel document carries one.

- **Diffractive OVDs (DOVIDs)**: holograms and Kinegram-type structures in a laminate or foil over the data page.
  Tilt the document: images should move, switch or change colour smoothly, and the foil must be integrated with
  the page, not stuck on top.
- **Optically variable ink (OVI)**: changes colour, for example from green to violet, when tilted.
- **Changeable and multiple laser images (CLI/MLI)**: laser-engraved through a lens structure; two images (often the
  portrait and the date of birth) alternate as you tilt the document.

## Personalisation

Personalisation is where most **forgeries** (altered genuine documents) are made, as opposed to **counterfeits**
(documents reproduced entirely).

1. **Laser engraving in polycarbonate**: the data are burnt *into* the inner layers. The surface is smooth, the
   portrait is greyscale and cannot be lifted. Tactile laser engraving can be felt on some characters.
2. **Inkjet or thermal transfer on paper under a laminate**: check the laminate edges, bubbles, and whether the
   portrait disturbs the background printing.
3. **Ghost image**: a second, smaller copy of the holder's portrait, often with UV or OVD elements. It must match
   the main portrait.

## Checklist for an altered document

- Scratches on the data page, or a different surface gloss around the portrait or the name.
- Background printing interrupted or misaligned under the personal data.
- Fonts of the variable data that differ from the issuing state's reference document.
- Any mismatch between the visual inspection zone, the MRZ and the chip.
"""

DOCUMENTS_EN_CHIP = """\
## What the chip contains

An ePassport (marked on the cover with the ICAO electronic document symbol) holds a contactless chip with the
**Logical Data Structure** of ICAO Doc 9303 Part 10: data groups such as **DG1** (the MRZ data), **DG2** (the facial
image) and, where access is granted, **DG3** (fingerprints), plus the **Document Security Object (SOD)**.

## Security mechanisms

| Mechanism | Purpose |
|---|---|
| **Passive Authentication** | proves the data were signed by the issuing state and not changed |
| **BAC / PACE** | access control: the reader derives keys from the MRZ (or a CAN) before reading |
| **Active or Chip Authentication** | proves the chip is genuine and not a copy |
| **Terminal Authentication (EAC)** | only authorised terminals may read fingerprints |

Passive Authentication rests on a chain of trust: the **Country Signing CA (CSCA)** certificate of the issuing state
signs the **Document Signer** certificate, which signs the SOD, which holds a hash of every data group. Border
control systems obtain CSCA certificates through bilateral exchange or the **ICAO PKD** and master lists.

## What this means at the first line

- A chip that cannot be read is **not** proof of fraud (chips do fail), but the document deserves a closer visual
  examination.
- A chip that reads but fails Passive Authentication is a serious alert: the data or the certificate chain are
  wrong.
- Compare the **DG2 image** with the printed portrait and with the person: a substituted photo on the data page will
  not match the chip.
- Keep the physical examination skills sharp: a genuine chip can sit in a fraudulently obtained document.
"""

DOCUMENTS_EN_MRZ = """\
## Formats

ICAO Doc 9303 defines three sizes of machine readable travel document (MRTD):

| Format | Typical document | MRZ |
|---|---|---|
| **TD1** | identity card | 3 lines of 30 characters |
| **TD2** | older identity cards, some visas | 2 lines of 36 characters |
| **TD3** | passport book | 2 lines of 44 characters |

The MRZ is printed in the **OCR-B** typeface and uses only the characters A-Z, 0-9 and the filler `<`.

## Line 1 of a TD3 passport

`P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<`

- positions 1-2: document code (`P<` for a passport; a second letter may give the type);
- positions 3-5: issuing state or organisation (ICAO three-letter code; `UTO` is the fictitious Utopia);
- positions 6-44: the name: primary identifier (surname), `<<`, then the secondary identifier (given names)
  separated by `<`.

## Line 2

`L898902C36UTO7408122F1204159ZE184226B<<<<<10`

| Positions | Field | Specimen |
|---|---|---|
| 1-9 | document number | `L898902C3` |
| 10 | check digit | `6` |
| 11-13 | nationality | `UTO` |
| 14-19 | date of birth (YYMMDD) | `740812` |
| 20 | check digit | `2` |
| 21 | sex (`M`, `F` or `<`) | `F` |
| 22-27 | date of expiry (YYMMDD) | `120415` |
| 28 | check digit | `9` |
| 29-42 | optional data, e.g. a personal number | `ZE184226B<<<<<` |
| 43 | check digit of the optional data | `1` |
| 44 | composite check digit | `0` |

Trainees should read the MRZ **before** the visual zone and compare the two field by field: a forger who changes
the printed data often forgets the MRZ, or recalculates the check digits but changes the name field inconsistently.
"""

DOCUMENTS_EN_CHECK_DIGITS = """\
## The algorithm

Every check digit in the MRZ is calculated in the same way:

1. Give each character a **value**: digits keep their value, the letters `A` to `Z` count 10 to 35 (A=10, B=11 ...
   Z=35) and the filler `<` counts 0.
2. Multiply the values, from left to right, by the repeating **weights 7, 3, 1**.
3. Add the products; the check digit is the **sum modulo 10**, that is, the last digit of the sum.

## Worked example: document number `L898902C3`

| Character | L | 8 | 9 | 8 | 9 | 0 | 2 | C | 3 |
|---|---|---|---|---|---|---|---|---|---|
| Value | 21 | 8 | 9 | 8 | 9 | 0 | 2 | 12 | 3 |
| Weight | 7 | 3 | 1 | 7 | 3 | 1 | 7 | 3 | 1 |
| Product | 147 | 24 | 9 | 56 | 27 | 0 | 14 | 36 | 3 |

Sum: 147 + 24 + 9 + 56 + 27 + 0 + 14 + 36 + 3 = **316**; 316 modulo 10 = **6**, the digit printed in position 10.

The date of birth `740812` gives 7×7 + 4×3 + 0×1 + 8×7 + 1×3 + 2×1 = 122, check digit **2**; the date of expiry
`120415` gives 49, check digit **9**.

## The composite check digit

The last digit of line 2 protects several fields together: positions 1-10, 14-20 and 22-43 are joined into one
string and calculated with the same method. In the specimen the result is **0**.

## Teaching points

- A correct check digit proves only that the MRZ is **internally consistent**, not that the document is genuine:
  counterfeiters use the same public algorithm.
- A wrong check digit on a document that looks genuine is a strong indicator of **alteration** or of a poorly made
  counterfeit; refer the document to the second line.
- Let trainees calculate at least one check digit by hand before they rely on the document reader.
"""

DOCUMENTS_EN_ICAO = """\
The specification of machine readable travel documents, free to download from ICAO. For this course read
**Part 3** (specifications common to all MRTDs, including the check digit algorithm), **Part 4** (TD3 passports),
**Parts 5 and 6** (TD1 and TD2 documents) and, for the chip, **Parts 10 to 12** (Logical Data Structure, security
mechanisms and the public key infrastructure).
"""

DOCUMENTS_EN_SHEET = """\
Print the practice sheet, calculate the check digits by hand and compare your results with a colleague's before the
next session. Exercise 7 contains an altered line: find the field that was changed and explain how the check digits
reveal it.
"""

DOCUMENTS_EN_SESSION = """\
## From knowledge to skill

Officers at the first line have seconds, not minutes, per document. A trainer's job is to turn knowledge of
security features into a **fast, repeatable routine**, and every session should be designed around that routine.

## A session plan (90 minutes)

| Phase | Time | Activity |
|---|---|---|
| Introduction | 10 min | learning objectives, link to recent cases |
| Demonstration | 20 min | the trainer examines a genuine document with the three-level routine |
| Guided practice | 30 min | pairs examine genuine and fraudulent specimens with UV lamp and magnifier |
| Assessment | 20 min | individual task: classify documents and justify each decision |
| Debriefing | 10 min | common errors, reference sources, questions |

## The three levels of examination

1. **Level 1**: naked eye and touch: intaglio relief, OVD behaviour, watermark in transmitted light.
2. **Level 2**: simple tools at the booth: UV lamp, 10x magnifier, MRZ and chip reader.
3. **Level 3**: specialist examination at the second line or in a forensic laboratory.

## Good practice for trainers

- Write objectives as observable behaviour: *"The trainee identifies the intaglio printing on the data page and
  explains how to check it"*, not *"understands intaglio"*.
- Start with **genuine reference documents**: a fraudulent specimen means something only against the genuine one.
- Protect the specimens: keep a register, collect them after each session, never photocopy them for handouts.
- Use public reference registers such as the EU's **PRADO** for descriptions of genuine documents.
- End with the **question routine** the officer will use at the booth: *Is the material genuine? Is the printing
  genuine? Has the personalisation been altered? Does the holder match the document?*
"""

DOCUMENTS_EN_ASSESSMENT = """\
## Assessment that reflects the booth

A written test on the names of printing techniques says little about an officer's ability to detect a fraudulent
document. Assess what the job requires:

- **Detection rate**: the share of fraudulent documents the trainee identifies in a mixed set.
- **False alarm rate**: the share of genuine documents wrongly referred to the second line. A trainee who refers
  everything is not effective either.
- **Justification**: for each referral, the specific features that raised suspicion.
- **Time**: a realistic limit per document, for example 60 to 90 seconds for a full level 1 and level 2 check.

A mixed set for an advanced course might hold 20 documents, of which 6 to 8 are counterfeits, forgeries or genuine
documents presented by an **impostor**.

## Keeping the course current

Document fraud changes quickly. A training of trainers course must give each future trainer a method to update
their own material:

1. Subscribe to the **alerts** of the national document expertise centre, and to international alerts where the
   service has access to them.
2. Every six months, review new documents issued by neighbouring states and by the main countries of origin.
3. Replace specimens that are no longer representative, and record where every specimen came from.
4. Share anonymised case studies between academies: a forged residence permit seen in Rezekne may appear in Almaty
   next month.

## A trainer's self-check

- Can I explain every security feature of our national passport without notes?
- Do my trainees practise more than they listen?
- When did I last update my case studies?
"""

DOCUMENTS_EN = CourseData(
    topic="documents",
    language="en",
    title="Document Security: Training of Trainers (Advanced Level)",
    summary=(
        "An advanced course for instructors who train first- and second-line officers to examine travel documents. "
        "It covers security substrates, printing techniques and optically variable devices, the ICAO Doc 9303 "
        "machine readable zone with check digit calculation, the ePassport chip, and how to design and assess "
        "practical sessions."
    ),
    tags="document security, training of trainers, ICAO 9303, MRZ, forgery detection, advanced",
    category="Document security",
    self_enrol=False,  # trainers are nominated by their academies
    modules=(
        ModuleData(
            "Substrates, printing and optically variable devices",
            (
                LessonData("Security substrates and printing techniques", DOCUMENTS_EN_SUBSTRATE),
                LessonData("Optically variable devices and personalisation", DOCUMENTS_EN_OVD),
                LessonData("The ePassport chip and its public key infrastructure", DOCUMENTS_EN_CHIP),
            ),
        ),
        ModuleData(
            "The machine readable zone",
            (
                LessonData("The TD3 machine readable zone (ICAO Doc 9303)", DOCUMENTS_EN_MRZ),
                LessonData("Check digits: a worked example", DOCUMENTS_EN_CHECK_DIGITS),
                LessonData(
                    "ICAO Doc 9303: Machine Readable Travel Documents",
                    DOCUMENTS_EN_ICAO,
                    kind=LessonKind.LINK,
                    url=ICAO_9303_URL,
                ),
                LessonData(
                    "Practice sheet: MRZ check digits (PDF)", DOCUMENTS_EN_SHEET, kind=LessonKind.FILE, media=PDF_NAME
                ),
            ),
        ),
        ModuleData(
            "Training of trainers",
            (
                LessonData("Designing a practical session on document examination", DOCUMENTS_EN_SESSION),
                LessonData("Assessing trainees and keeping the course current", DOCUMENTS_EN_ASSESSMENT),
            ),
        ),
    ),
)


# --- X-ray image analysis (English) ------------------------------------------------------------------------------

XRAY_EN_COLOURS = """\
## Absorption and density

X-rays are attenuated as they pass through matter. The denser a material and the higher its **atomic number**,
the more it absorbs; the detector records what is left and the system turns it into an image. Thin or light
materials look pale, thick or heavy ones dark.

## Dual energy

Modern systems measure every point at **two energy levels**. Low-energy X-rays are absorbed much more strongly by
elements with a high atomic number, while the absorption of high-energy X-rays depends mostly on density. Comparing
the two gives an estimate of the **effective atomic number (Zeff)** of the material, and the system colours the
image accordingly.

| Colour | Material class | Typical Zeff | Examples |
|---|---|---|---|
| **Orange** | organic | below about 10 | explosives, drugs, food, wood, plastics, paper |
| **Green** | mixed or light inorganic | about 10 to 18 | aluminium, salt, glass, organic mixed with metal |
| **Blue** | inorganic, metals | above about 18 | steel, copper, iron, zinc |
| **Black** | impenetrable | not determined | thick steel, lead: cannot be analysed |

The **intensity** of a colour shows thickness: pale orange is a thin layer, dark orange a thick block of organic
material.

## Important limits

- The colour classification is an estimate, and palettes differ between manufacturers: learn the one your system
  uses.
- Overlapping objects mix: organic material behind a metal plate may appear green or blue.
- **Black areas must always be resolved**, by another view, a higher penetration setting or a physical inspection.
  A dense object can hide anything.
- Drugs and explosives are both organic. The image shows a suspicious shape, density and position, not the
  substance itself; confirmation needs trace detection, a test kit or a laboratory.
"""

XRAY_EN_SYSTEMS = """\
## Three families of equipment

| System | Energy | Where it is used | Image |
|---|---|---|---|
| Baggage and parcel scanner | about 140-180 kV | terminals, postal and express hubs | one or two views, colour |
| Cargo scanner, mobile or fixed | about 4-9 MeV (linear accelerator) | road crossings, ports, rail | a whole truck |
| Backscatter system | low energy, reflected radiation | vehicles, walls of trailers | the near side only |

Baggage scanners use X-ray tubes and their energy is given in kilovolts. Cargo scanners use a **linear
accelerator** with energies in megaelectronvolts and, depending on the model and mode, penetrate roughly 250 to
400 mm of steel.

## Multi-view systems

Two views, for example from below and from the side, reduce the problem of overlapping objects. On a single-view
system, turn the bag and scan it again when an area is unclear.

## Radiation safety for operators

- Baggage scanners are shielded cabinets: with intact curtains and interlocks the dose rate outside is at
  background level. Report damaged curtains at once.
- Cargo scanners create a **controlled area**. Keep the exclusion zone clear, follow the scanning mode for drivers
  (in most systems the cab is not scanned, or the driver leaves the vehicle) and wear your personal dosimeter.

## Working with the declaration

Cargo images are always read **with the documents**: the manifest, the goods declaration and the HS codes. A
container declared as "ceramic tiles" should show a regular, dense, inorganic load. An organic block behind the
tiles, or a load that stops two metres short of the doors, is a finding.
"""

XRAY_EN_VIDEO = """\
The clip simulates bags passing through a dual-energy baggage scanner; the image moves from right to left, as on an
operator's screen. Pause each time a new bag enters and name the material class of every item before it leaves:

- **orange**: organic material;
- **green**: mixed or light inorganic material;
- **blue**: metal;
- **black**: too dense to penetrate, to be resolved.

The clip is synthetic and silent. It trains the colour convention, not the recognition of real threats.
"""

XRAY_EN_METHOD = """\
## Why a method

Operators who look at an image "at a glance" find what is obvious and miss what is hidden. A structured search,
and regular training with **threat image projection (TIP)**, keep detection rates up. Use the same sequence for
every image.

## The sequence

1. **Overview**: what kind of object is it (suitcase, parcel, truck, container)? Is the image complete and of good
   quality?
2. **Compare with what is declared or expected**: a bag of clothes, a parcel of "books", a container of tiles.
3. **Scan by colour**: orange areas first (drugs, explosives, bundles of banknotes), then blue (weapons and their
   parts), then **every black area**.
4. **Look at the structure**: walls, bottoms, handles, frames, tyres, fuel tanks, the floor and roof of a trailer.
5. **Use the enhancement functions** on anything unclear:
   - the **inverse** (negative) image for fine details and wires;
   - **organic stripping** or **inorganic stripping** to hide one class of material;
   - **high penetration** (dark-area enhancement) for dense regions;
   - **zoom** and **edge enhancement**.
6. **Decide**: clear, rescan in another position, or **physical inspection**. Record the reason.

## Human factors

- Image analysis is tiring. Rotate operators regularly: many services limit continuous screening to 20 to 30
  minutes.
- Expect the rare: when threats are rare, operators tend to stop looking for them. TIP and realistic exercises
  counter this effect.
- Two operators who disagree about an image have found a reason to inspect, not a reason to argue.
"""

XRAY_EN_CONCEALMENT = """\
## What to look for

Smugglers hide goods where the X-ray image is hardest to read, or where an officer is unlikely to look. Typical
indicators:

- **Double walls and false bottoms**: a bag or case whose wall looks thicker or denser than normal, or a uniform
  organic layer under the lining.
- **Modified structures**: handles, frames and wheels of suitcases that are denser than usual; drugs in the tubes
  of a trolley handle.
- **Anomalies in homogeneous loads**: in a container of identical cartons, one zone with a different density,
  colour or pattern.
- **Goods that do not match the declaration**: organic material in a load declared as metal products, or a partly
  empty container declared as full.
- **Vehicle concealments**: fuel tanks with internal walls, spare tyres with solid contents, roofs and floors that
  are thicker than the manufacturer's design, extra cavities behind the dashboard or in the sills.
- **Shielding**: a deliberately dense object (lead, a steel plate) placed to hide what lies behind it.

## Examples

| Declared | The image shows | Possible explanation |
|---|---|---|
| Fruit juice, 22 pallets | a regular load at the doors, a different pattern at the front wall | a cover load |
| Used car parts | homogeneous orange packages inside a gearbox housing | drugs in a machined cavity |
| Clothes | a thin, uniform layer along the bottom of the bag | banknotes or documents in a false bottom |

## Acting on a finding

Mark the area on the image, save it with the case file and tell the inspection team exactly where to look. A good
image analyst shortens a physical inspection from hours to minutes.
"""

XRAY_EN = CourseData(
    topic="xray",
    language="en",
    title="X-ray Image Analysis for Customs and Border Officers",
    summary=(
        "How dual-energy X-ray systems show what is inside baggage, parcels, vehicles and containers, and how to "
        "read their images systematically. Covers colour conventions, image enhancement functions, concealment "
        "indicators and the decision to inspect physically."
    ),
    tags="X-ray, image analysis, inspection technology, concealment, customs control",
    category="X-ray and inspection technology",
    modules=(
        ModuleData(
            "How X-ray inspection systems work",
            (
                LessonData("Dual-energy imaging and the colour convention", XRAY_EN_COLOURS),
                LessonData("Baggage, parcel and cargo scanners", XRAY_EN_SYSTEMS),
            ),
        ),
        ModuleData(
            "Reading the image",
            (
                LessonData(
                    "Video: a simulated dual-energy scan", XRAY_EN_VIDEO, kind=LessonKind.VIDEO, media=VIDEO_NAME
                ),
                LessonData("A systematic method of image analysis", XRAY_EN_METHOD),
                LessonData("Concealment indicators", XRAY_EN_CONCEALMENT),
            ),
        ),
    ),
)


# --- Radiation control and dual-use goods (English) --------------------------------------------------------------

RADIATION_EN_UNITS = """\
## Kinds of radiation

| Radiation | What it is | Stopped by | Detected at the border by |
|---|---|---|---|
| **Alpha** | helium nuclei | a sheet of paper, the skin | contact instruments only |
| **Beta** | electrons | a few mm of aluminium or plastic | contamination monitors |
| **Gamma** | electromagnetic | reduced by lead, steel, concrete | portal monitors, handheld devices |
| **Neutron** | neutral particles | water, polyethylene | neutron detectors in portal monitors |

Portal monitors see gamma and neutron radiation through a vehicle. Neutrons are a strong indicator of plutonium or
of some industrial sources, because ordinary goods almost never emit them.

## Units

- **Becquerel (Bq)**: activity, one decay per second. The old unit is the curie: 1 Ci = 3.7 × 10¹⁰ Bq.
- **Gray (Gy)**: absorbed dose, one joule per kilogram.
- **Sievert (Sv)**: equivalent and effective dose, taking the type of radiation and the organs into account. The
  old unit is the rem: 1 Sv = 100 rem.
- **Dose rate** is dose per unit of time; at the border it is usually given in **microsieverts per hour (µSv/h)**.

## Orders of magnitude

- Natural background: about **0.05 to 0.3 µSv/h**, higher in mountains and on granite.
- Annual dose limit for members of the public from planned exposure: **1 mSv**; for occupationally exposed workers
  **20 mSv** a year averaged over five years (IAEA General Safety Requirements Part 3).
- Many first-responder guides set the safety perimeter where the dose rate reaches **100 µSv/h**.

## Protecting yourself: time, distance, shielding

Spend as little time as possible near a source, keep your distance (the dose rate falls with the **square of the
distance**: twice as far, a quarter of the dose rate) and put dense material between yourself and the source.
"""

RADIATION_EN_RPM = """\
## How a portal monitor works

A **radiation portal monitor (RPM)** has two pillars, one on either side of a lane. Each pillar holds large
**plastic scintillators** (polyvinyl toluene, PVT) for gamma radiation and usually **neutron detectors** (helium-3
tubes or their modern replacements). An **occupancy sensor** starts the measurement when a vehicle or a pedestrian
enters.

The monitor compares the count rate during the passage with the **background** measured while the lane is empty,
and raises an alarm when the difference exceeds a threshold set in standard deviations (for example 4 to 6 sigma).
PVT detectors are very sensitive but have a poor energy resolution: they tell you *that* something is radioactive,
not *what* it is.

## Innocent alarms

Most alarms come from legitimate goods that contain **NORM** (naturally occurring radioactive material):

- ceramic tiles, sanitary ware, granite and some other building materials;
- potassium fertilisers (potassium-40) and some foods in bulk;
- scrap metal, and welding rods containing thorium;
- patients recently treated with **medical isotopes** such as technetium-99m or iodine-131.

## Secondary inspection

1. Direct the vehicle to the secondary inspection area and do not let it leave.
2. Repeat the measurement with a **personal radiation detector (PRD)** and a handheld **radionuclide
   identification device (RIID)** with a NaI, LaBr₃ or CZT detector.
3. Locate the source: walk around the vehicle and find the highest dose rate.
4. **Identify the radionuclide** and compare it with the documents: licence, transport documents, UN number,
   category labels on the packages.
5. If the nuclide is neither NORM nor a declared medical or industrial source, or the dose rate is high, keep your
   distance, set up a perimeter and call the competent authority (the radiation protection or nuclear regulator)
   under the national response plan.

Record every alarm, innocent ones included: the statistics show whether the thresholds are set correctly.
"""

RADIATION_EN_DUAL_USE = """\
## What dual-use goods are

**Dual-use items** are goods, software and technology that can be used for both civilian and military purposes,
including the development of weapons of mass destruction. Examples: high-precision machine tools, carbon fibre,
some corrosion-resistant pumps and valves, frequency changers, encryption software, thermal cameras.

## The international regimes

| Regime | Field |
|---|---|
| **Wassenaar Arrangement** | conventional arms, dual-use goods and technologies |
| **Nuclear Suppliers Group (NSG)** | nuclear and nuclear-related dual-use items |
| **Australia Group** | chemical and biological weapons: precursors, pathogens, equipment |
| **Missile Technology Control Regime (MTCR)** | missiles and unmanned aerial vehicles |
| **Chemical Weapons Convention (CWC)** | scheduled chemicals |

## The EU list

**Regulation (EU) 2021/821** sets up the EU regime for the control of exports, brokering, technical assistance,
transit and transfer of dual-use items. Its **Annex I** gathers the regimes' lists in ten categories: 0 nuclear
materials, facilities and equipment; 1 special materials and related equipment; 2 materials processing;
3 electronics; 4 computers; 5 telecommunications and information security; 6 sensors and lasers; 7 navigation and
avionics; 8 marine; 9 aerospace and propulsion.

Each entry has a five-character code, for example **2B001**: category **2**, product group **B** (A systems and
equipment, B test, inspection and production equipment, C materials, D software, E technology) and three digits,
the first of which shows the source regime (0 Wassenaar, 1 MTCR, 2 NSG, 3 Australia Group, 4 CWC).

## Catch-all

Even an item that is **not** listed needs an authorisation when the exporter has been informed, or is aware, that
it is intended for weapons of mass destruction or for a military end-use in a country under an arms embargo.
Customs officers therefore look at the **end-user and the end-use**, not only at the list.

## Tariff codes and control lists

There is no one-to-one link between **HS codes** and control list entries: one HS heading may cover controlled and
uncontrolled items alike. Correlation tables help targeting, but the technical parameters decide.
"""

RADIATION_EN_RED_FLAGS = """\
## Why customs matters

Export control authorities issue the licences, but it is customs officers who see the goods. Many cases of
diversion were detected at the border because an officer noticed that something did not fit.

## Red flags in the transaction

- The buyer is reluctant to give information on the **end-use** or the end-user, or the stated end-use does not
  match the goods (a bakery ordering a five-axis machining centre).
- Unusual **routing** through third countries or free zones with no commercial reason; frequent changes of
  consignee.
- Payment in cash or by a third party; prices far above the market for ordinary goods.
- The buyer declines the installation, training or warranty that a normal customer would want.
- A new company with little business background, or an address shared with many other companies.

## Red flags in the goods and documents

- A vague description ("spare parts", "industrial equipment") under an HS code that covers controlled items.
- Technical parameters stated **just below a control threshold**.
- Serial numbers or labels removed; packaging inconsistent with the declared goods.
- Documents describing goods of a lower technical level than those found during the inspection.

## What to do

| Situation | Action |
|---|---|
| Listed goods, no licence presented | detain the goods, contact the licensing authority |
| Goods not listed, red flags present | consult the licensing authority (catch-all) |
| Doubt about the classification | technical expertise; photograph name plates and parameters |

Keep copies of the documents, photographs and the names of everyone involved: export control cases are often
investigated months later.
"""

RADIATION_EN = CourseData(
    topic="radiation",
    language="en",
    title="Radiation Control and Dual-Use Goods at the Border",
    summary=(
        "Detection of nuclear and other radioactive material at border crossing points, and control of strategic "
        "(dual-use) goods. Covers radiation portal monitors, units and dose rates, the response to an alarm, the "
        "Wassenaar Arrangement and the EU dual-use list of Regulation (EU) 2021/821."
    ),
    tags="radiation control, nuclear security, dual-use goods, export control, Wassenaar",
    category="Radiation control and dual-use goods",
    enrol_cap=24,  # limited by the handheld instruments available for the practical part
    modules=(
        ModuleData(
            "Detecting radioactive material",
            (
                LessonData("Radiation, units and dose rates", RADIATION_EN_UNITS),
                LessonData("Radiation portal monitors and the response to an alarm", RADIATION_EN_RPM),
            ),
        ),
        ModuleData(
            "Strategic goods and export control",
            (
                LessonData(
                    "Dual-use goods: the Wassenaar Arrangement and Regulation (EU) 2021/821", RADIATION_EN_DUAL_USE
                ),
                LessonData("Red flags in strategic trade", RADIATION_EN_RED_FLAGS),
            ),
        ),
    ),
)


# --- Risk analysis in customs clearance (English) ----------------------------------------------------------------

RISK_EN_CYCLE = """\
## Why risk management

No customs administration can inspect every consignment: a large road crossing clears thousands of declarations a
day. **Risk management** lets customs concentrate controls where non-compliance is most likely and most harmful,
and release everything else quickly. Both the Revised Kyoto Convention (General Annex, Chapter 6) and the WTO Trade
Facilitation Agreement (Article 7.4) require it.

## The cycle

The WCO Customs Risk Management Compendium follows the ISO 31000 model:

1. **Establish the context**: the administration's objectives, legal powers and resources.
2. **Identify the risks**: what could go wrong? Undervaluation, misclassification, false origin, smuggling of drugs,
   weapons or protected species, infringements of intellectual property, strategic goods.
3. **Analyse the risks**: for each risk, its **likelihood** and its **consequence**.
4. **Evaluate and prioritise**: compare the risks with each other and with the administration's tolerance.
5. **Treat the risks**: profiles, targeting, inspections and audits, but also information and facilitation for
   compliant traders.
6. **Monitor and review**: did the treatment work? What did the controls find?

## A simple risk matrix

| Likelihood / consequence | Minor | Moderate | Severe |
|---|---|---|---|
| **Likely** | medium | high | very high |
| **Possible** | low | medium | high |
| **Rare** | low | low | medium |

A revenue risk on a low-duty product may be "possible / minor"; the smuggling of precursors for synthetic drugs is
"possible / severe" and deserves a profile even though cases are rare.

## Levels

Risk management works at the **strategic** level (annual priorities), the **operational** level (profiles and
campaigns) and the **tactical** level (the officer's decision at the moment of control). The officer's observations
feed the other two.
"""

RISK_EN_INDICATORS = """\
## What an indicator is

A **risk indicator** is a specific, checkable characteristic which, alone or combined with others, points to a
higher likelihood of non-compliance. Good indicators are objective, based on the analysis of past cases and
reviewed regularly.

## Groups of indicators

| Group | Examples |
|---|---|
| **Trader** | a new importer with no history; frequent change of declarant; past offences; not an AEO |
| **Goods** | high duty or excise; quotas and licences; goods often misclassified; brands at risk of counterfeiting |
| **Value** | declared price well below price databases or the value of identical goods |
| **Origin and route** | origin subject to anti-dumping duties; unusual transshipment; known trafficking routes |
| **Documents** | inconsistencies between invoice, packing list, transport document and declaration |
| **Transport** | a new carrier; a vehicle or container with a history; late changes of route |

## Combining indicators

One indicator rarely justifies an inspection. A new importer is normal; a new importer declaring branded
electronics at a third of the usual price, routed through a free zone, with an invoice in a currency different from
the contract's, is a pattern.

## Sources of information

- the declaration and its supporting documents, including **advance electronic information** sent before arrival;
- customs databases: previous declarations, seizures, audits;
- price and valuation databases;
- information from other agencies and from other customs administrations (mutual administrative assistance);
- the observations of officers at the border.

## A pitfall

Indicators based on the **nationality or ethnicity** of a traveller or trader alone are not objective; they are
discriminatory, and they also make controls predictable. Base indicators on behaviour, goods and documents.
"""

RISK_EN_CHANNELS = """\
## Selectivity

In an automated clearance system, every declaration passes through a **selectivity** module (for example in
ASYCUDA World or in a national system) that compares it with the active profiles and assigns a **channel**:

| Channel | Control | Release |
|---|---|---|
| **Green** | no documentary or physical check before release | immediate, after payment |
| **Yellow** | documentary check of the declaration and supporting documents | after the check |
| **Red** | documentary check and **physical inspection** of the goods | after the inspection |
| **Blue** (in some systems) | release now, **post-clearance audit** later | immediate |

Passengers meet the same logic at airports: the green channel for "nothing to declare" and the red channel for
"goods to declare".

## Setting the balance

Physical inspection is slow and expensive, for traders and for customs alike. Administrations with mature risk
management aim at a small share of red-channel declarations, often in single figures, with a high **hit rate**
(the share of inspections that find an irregularity). A high inspection rate with a low hit rate shows that the
profiles are too broad.

## The officer's part

- A red-channel inspection is targeted: read the **reason for selection** before you start, and check the risk that
  triggered it first.
- Record the result accurately, including **"no irregularity found"**: results are the data the profiles learn
  from.
- An officer may still stop a green-channel consignment on **reasonable suspicion** arising from observations at
  the border, following national rules, and must report why.
"""

RISK_EN_PROFILES = """\
## Risk profiles

A **risk profile** combines indicators into a rule that the clearance system applies automatically, for example:

> HS heading 8517 (telephone sets) **and** a declared unit value more than 40 % below the reference price **and** an
> importer registered less than 12 months ago: **yellow channel**, valuation check.

Each profile should have:

- a **description** of the risk and of the evidence behind it;
- an **owner** in the risk analysis unit;
- a **validity period** and a review date;
- **control instructions** for the officer: what to check and how to record it.

## Random selection

A small share of declarations is selected **at random**, independently of the profiles. Random results measure the
real level of compliance, reveal risks that the profiles do not cover, and keep selection unpredictable for
smugglers.

## Feedback and measurement

| Measure | What it tells |
|---|---|
| Hit rate of each profile | whether the profile still targets well |
| Share of each channel | the burden on traders and on inspection teams |
| Results of random checks | the level of compliance in the whole flow |
| Clearance time | the effect of controls on trade facilitation |

Profiles with a persistently low hit rate are revised or switched off; new seizures and intelligence lead to new
profiles. Without feedback from the officers who inspect, a selectivity system slowly ends up targeting the past.

## Authorised Economic Operators

Traders certified as **Authorised Economic Operators (AEOs)** under the WCO SAFE Framework of Standards have shown
that they meet compliance and supply chain security standards. They receive fewer controls, which frees capacity for
unknown and high-risk flows.
"""

RISK_EN = CourseData(
    topic="risk",
    language="en",
    title="Risk Analysis in Customs Clearance",
    summary=(
        "How customs administrations decide which consignments to check, and how thoroughly, without stopping "
        "legitimate trade. Covers the risk management cycle, risk indicators and profiles, selectivity channels, "
        "and the feedback that keeps targeting effective."
    ),
    tags="risk management, risk analysis, selectivity, customs clearance, targeting",
    category="Risk analysis",
    modules=(
        ModuleData(
            "Risk management in customs",
            (
                LessonData("The risk management cycle", RISK_EN_CYCLE),
                LessonData("Risk indicators", RISK_EN_INDICATORS),
            ),
        ),
        ModuleData(
            "Selectivity and targeting",
            (
                LessonData("Selectivity channels: green, yellow and red", RISK_EN_CHANNELS),
                LessonData("Profiles, random selection and feedback", RISK_EN_PROFILES),
            ),
        ),
    ),
)


# --- Identification and profiling at border checks (English) -----------------------------------------------------

PROFILING_EN_BEHAVIOUR = """\
## The first-line check

At the first line an officer has, on average, well under a minute per traveller. In that time the officer checks
the document, the person and whether the two belong together, and decides whether a **second-line** check is
needed. Behaviour is one source of information among several.

## Behaviour indicators

Behaviour is meaningful only **against a baseline**: how do the other travellers in the same queue, on the same
flight or bus, behave? Look for **changes** and **clusters**, not for single signs.

- **Before the booth**: watching the officers, changing queues, letting others go first, waiting for a particular
  officer or for a change of shift.
- **At the booth**: hesitation over simple questions (name, date of birth, destination); answers that are rehearsed
  or too detailed; looking at a companion before answering.
- **Physical signs**: stress reactions out of proportion to the situation (trembling hands, rapid breathing, heavy
  sweating in a cool hall), but remember fatigue, fear of the authorities and illness.
- **Inconsistencies**: the story does not match the ticket, the luggage, the money, the clothing or the stamps in
  the document.

## What indicators are not

- Eye contact, tone of voice and gestures vary widely **between cultures**; by themselves they are not indicators.
- Nervousness at a border is normal. Most nervous travellers are honest.

## Decision

| Observation | Action |
|---|---|
| One weak indicator, a consistent story | complete the check and let the traveller pass |
| Several indicators, or an inconsistency | ask additional questions |
| An unresolved inconsistency, doubts about the document | refer to the second line and record why |
"""

PROFILING_EN_INTERVIEW = """\
## Purpose

The first-line interview confirms the **purpose and conditions of the stay** and gives the officer material to
compare with the documents and the behaviour. It is a conversation, not an interrogation.

## Technique

- Greet the traveller and keep a calm, neutral tone and a correct bearing.
- Start with **open questions**: *"What is the purpose of your trip?"*, *"Where will you stay?"* Open questions make
  the traveller talk, and a rehearsed story shows its limits under natural follow-up questions.
- Continue with **closed questions** to fix the details: dates, names, addresses, amounts.
- Use the **5W+H** frame: who, what, where, when, why and how.
- **Listen actively**: let the traveller finish, and note contradictions instead of pointing them out at once.
- Compare the answers with **objective data**: ticket, hotel booking, invitation letter, means of subsistence,
  previous stamps, the travel history in the information systems.

## Examples

| Weak question | Better question |
|---|---|
| "Are you a tourist?" | "What are you planning to do during your stay?" |
| "Do you have enough money?" | "How will you pay for your stay?" |
| "Is this your bag?" | "Who packed your luggage?" |

## Language and interpretation

If the traveller does not understand the officer's language, do not use a travel companion as the interpreter: the
companion may be the one who controls the traveller. At the second line, use an official interpreter or a telephone
interpreting service.

## Record

Write down the questions and answers that led to a referral. The second-line officer, and later perhaps a court,
must be able to understand the decision.
"""

PROFILING_EN_FACES = """\
## The impostor problem

An **impostor** uses the genuine document of another person who looks similar. The document passes every technical
check, and only the comparison of the face with the portrait reveals the fraud. Impostors are one of the most
common forms of document fraud at the external borders.

## Comparing faces

Compare the **features that do not change**, or change little, with age, weight, hairstyle or make-up:

| Feature | What to compare |
|---|---|
| **Ears** | shape of the rim (helix) and of the lobe, attached or free; proportions |
| **Nose** | shape of the bridge, the tip and the nostrils |
| **Eyes** | distance between the eyes, shape of the eyelids |
| **Mouth** | width, shape of the lips, position of the corners |
| **Face** | proportions of forehead, mid-face and lower face; shape of the chin |
| **Marks** | scars, moles, asymmetries |

Work from the **general to the particular**: first the overall proportions, then the individual features. Ask the
traveller to remove glasses or headgear where necessary, in line with national rules and with respect for religious
practice (an officer of the same sex, a private space).

## Other indicators of an impostor

- The traveller does not know the data in "their" document: date of birth, place of issue, signature.
- A signature given at the booth does not match the one in the document.
- The age suggested by the face does not fit the date of birth.
- The travel history and the stamps do not fit the traveller's account.

## Technology

The ePassport chip holds the holder's portrait (**DG2**), and automated border control gates compare it with a live
image. Biometric matching helps, but its thresholds allow errors in both directions. When a gate refers a traveller
to an officer, the officer's comparison decides.
"""

PROFILING_EN_RIGHTS = """\
## Lawful profiling

**Profiling** means using a set of characteristics, drawn from the analysis of past cases, to select persons for
closer checks. It is a legitimate and necessary tool when the characteristics are **objective, relevant and
regularly reviewed**: travel routes, ticketing patterns, document types, behaviour, risk analysis information.

## Discriminatory profiling

Selecting people **only or mainly** because of their ethnic origin, skin colour, religion, language or nationality
is **discriminatory profiling**. It is unlawful under international human rights law and the law of most states.
It is also ineffective: it wastes checks on innocent people and is easy for criminals to avoid.

The Schengen Borders Code (Article 7) requires border guards to respect human dignity and not to discriminate
against persons on grounds of sex, racial or ethnic origin, religion or belief, disability, age or sexual
orientation. Guidance from the EU Agency for Fundamental Rights (FRA) and from the OSCE gives practical examples.

## A test for every referral

Ask yourself:

1. What **specific observation** made me select this person?
2. Would I have selected a traveller of another origin who showed the **same behaviour** and held the same
   documents?
3. Can I **write down** the reason in a way that my supervisor would accept?

If the answer to the second question is "no", the decision was not based on objective indicators.

## Professional conduct

- Explain to the traveller why additional checks are needed, as far as the situation allows.
- Keep the check as short as its purpose allows.
- Treat every traveller with the same courtesy: respectful treatment also makes travellers more willing to answer.
"""

PROFILING_EN = CourseData(
    topic="profiling",
    language="en",
    title="Identification and Profiling at Border Checks",
    summary=(
        "First-line border checks on persons: how to read behaviour, conduct a short interview and decide on a "
        "referral to the second line, and how to establish that the traveller is the rightful holder of the "
        "document. Profiling based on objective indicators, with respect for fundamental rights."
    ),
    tags="border checks, profiling, behaviour indicators, interviewing, impostors, identification",
    category="Identification and profiling",
    modules=(
        ModuleData(
            "First-line checks",
            (
                LessonData("Behaviour indicators at the first line", PROFILING_EN_BEHAVIOUR),
                LessonData("The short interview", PROFILING_EN_INTERVIEW),
            ),
        ),
        ModuleData(
            "Identification",
            (
                LessonData("Facial comparison and impostors", PROFILING_EN_FACES),
                LessonData("Profiling and fundamental rights", PROFILING_EN_RIGHTS),
            ),
        ),
    ),
)


# --- Assistance to vulnerable migrants (English) -----------------------------------------------------------------

MIGRANTS_EN_VULNERABILITY = """\
## Vulnerability is a situation

A migrant is vulnerable not because of a label but because of a **situation**: personal characteristics combined
with circumstances that expose the person to harm. The same person may be safe in one context and at serious risk
in another.

The groups that border officers most often meet in vulnerable situations are:

- **unaccompanied and separated children**;
- **victims of trafficking in human beings**, and persons at risk of being trafficked;
- persons in need of **international protection** (asylum seekers and refugees);
- pregnant women, persons with a serious illness or a disability, elderly persons;
- victims of **torture**, rape or other serious violence, including violence suffered during the journey;
- persons at risk because of their sexual orientation or gender identity.

## The border officer's duties

The border officer is often the **first state official** a vulnerable migrant meets. The officer does not have to
determine refugee status or prove a trafficking offence. The officer must:

1. **notice** the signs of vulnerability;
2. give or call **immediate assistance**: medical care, water, food, shelter;
3. ensure **access to procedures**: asylum, child protection, assistance to victims;
4. **refer** the person to the competent authority or organisation;
5. **record** what was done.

## Non-refoulement

No one may be returned to a country where they would face persecution, torture or inhuman or degrading treatment
(1951 Refugee Convention, Article 33; UN Convention against Torture, Article 3). A person who expresses fear of
return, even in simple words and without saying "asylum", must be given access to the asylum procedure.
"""

MIGRANTS_EN_TRAFFICKING = """\
## Two different crimes

| | **Trafficking in human beings** | **Smuggling of migrants** |
|---|---|---|
| Legal basis | UN Trafficking in Persons Protocol (Palermo, 2000) | UN Smuggling of Migrants Protocol (2000) |
| Consent | none, or obtained by deception or coercion | the migrant agrees to be smuggled |
| Border crossing | not required; can happen within one country | always an illegal border crossing |
| Relationship | exploitation continues after arrival | usually ends on arrival |
| Victim | the person | the state (an offence against border law) |

In practice the two overlap: a smuggled migrant who cannot pay a debt to the smugglers can become a victim of
trafficking.

## The definition of trafficking

The Palermo Protocol defines trafficking through three elements:

1. **Act**: recruitment, transportation, transfer, harbouring or receipt of persons;
2. **Means**: threat or use of force, coercion, abduction, fraud, deception, abuse of power or of a **position of
   vulnerability**, or giving payments to a person having control over another person;
3. **Purpose**: exploitation, including sexual exploitation, forced labour or services, slavery, servitude or the
   removal of organs.

For **children** (persons under 18) the means are not required: the act for the purpose of exploitation is enough.
The **consent** of a victim to the intended exploitation is irrelevant where any of the means has been used.

## Why it matters at the border

A trafficked person may cross the border **legally**, with genuine documents and a valid visa, on the way to
exploitation. The border check is one of the few moments when the person is out of the trafficker's control for a
few minutes, and the officer's attention can make the difference.
"""

MIGRANTS_EN_INDICATORS = """\
## Indicators at the border

No single indicator proves trafficking. Several together justify a closer conversation in private.

**The person**

- does not hold their own passport or ticket: a companion holds them and answers for the person;
- cannot say where they are going, who will employ them or what the job is;
- has a job offer that seems too good (high pay, no qualification needed), often abroad as a dancer, model, nanny,
  construction or farm worker;
- owes a large **debt** for the journey or for the job placement;
- appears afraid, anxious or submissive, or shows signs of physical abuse;
- tells a scripted story, identical to those of other travellers in the group;
- is a minor travelling with an adult who is not a parent and has no authorisation.

**The companion or the group**

- one person holds the documents, money and tickets of several travellers;
- the companion insists on being present during the check and interrupts;
- the tickets were bought by a third person, often one way and shortly before departure.

## How to talk to a possible victim

| Do | Avoid |
|---|---|
| separate the person from the companion calmly, as a routine step | confronting the companion in front of the person |
| use a private room and, where possible, an officer of the same sex | asking for details of the abuse |
| use an independent interpreter | using the companion as the interpreter |
| explain who you are and what help exists | promising what you cannot guarantee |

Victims often do not see themselves as victims, and may fear the authorities more than the traffickers. A first
conversation rarely leads to a disclosure, but it can give the person a telephone number and a way out.
"""

MIGRANTS_EN_REFERRAL = """\
## National referral mechanisms

A **national referral mechanism (NRM)**, as described in the OSCE/ODIHR practical handbook, is the framework through
which state bodies and civil society work together to identify victims of trafficking and protect their rights. At
the border its practical form is a **referral procedure**: whom to call, in what order, with what information.

## A referral sequence

1. **Safety first**: separate the person from the suspected traffickers and give medical help if needed.
2. **Inform** the person, in a language they understand, about their rights and the help available.
3. **Call the designated unit**: the anti-trafficking police unit, the child protection authority for minors, the
   asylum authority for requests for protection.
4. **Contact the partner organisation** named in the NRM, for example a shelter or an IOM office.
5. **Record** the indicators observed and the action taken, and hand the record to the receiving unit.

## Rights of presumed victims

- A **recovery and reflection period** in which the person is not removed and can decide whether to cooperate with
  the authorities (Council of Europe Convention on Action against Trafficking in Human Beings, Article 13: at least
  30 days).
- **Non-punishment**: victims should not be penalised for offences they were compelled to commit, such as the use
  of a false document.
- Assistance: accommodation, medical and psychological help, legal advice, an interpreter.

## Children

For an unaccompanied or separated child, the **best interests of the child** come first (UN Convention on the
Rights of the Child, Article 3). Inform the child protection authority at once; a guardian must be appointed. If the
age is in doubt, treat the person as a child until the age has been assessed. The Frontex **VEGA Handbook** gives
practical guidance on children at airports.

## Look after yourself

Cases involving trafficking and children are stressful. Use the debriefing and support that your service offers.
"""

MIGRANTS_EN = CourseData(
    topic="migrants",
    language="en",
    title="Assistance to Vulnerable Migrants at the Border",
    summary=(
        "How border officers identify migrants in vulnerable situations, including victims of trafficking in human "
        "beings and unaccompanied children, and refer them to the right protection services. Based on the Palermo "
        "Protocol, the principle of non-refoulement and national referral mechanisms."
    ),
    tags="human rights, vulnerable migrants, trafficking in human beings, children, referral",
    category="Vulnerable migrants",
    modules=(
        ModuleData(
            "Who is vulnerable",
            (
                LessonData("Migrants in vulnerable situations", MIGRANTS_EN_VULNERABILITY),
                LessonData("Trafficking and smuggling: the difference", MIGRANTS_EN_TRAFFICKING),
            ),
        ),
        ModuleData(
            "Identification and referral",
            (
                LessonData("Indicators of trafficking", MIGRANTS_EN_INDICATORS),
                LessonData("Referral and protection at the border", MIGRANTS_EN_REFERRAL),
            ),
        ),
    ),
)


# --- The Revised Kyoto Convention (English) ----------------------------------------------------------------------

KYOTO_EN_HISTORY = """\
## History

The **International Convention on the Simplification and Harmonization of Customs Procedures** was adopted by the
Customs Co-operation Council (today the **World Customs Organization**, WCO) in Kyoto in **1973** and entered into
force in 1974. It gave customs administrations a common set of procedures, but by the 1990s it no longer matched
modern trade: electronic data, express consignments, just-in-time logistics and risk-based control.

The WCO Council adopted the **Protocol of Amendment** in Brussels in **June 1999**. The revised text, known as the
**Revised Kyoto Convention (RKC)**, entered into force on **3 February 2006**, after 40 Contracting Parties had
accepted it. Today well over a hundred customs territories are Contracting Parties.

## Aims

The RKC aims to make customs procedures:

- **simple**: no more formalities than necessary;
- **harmonised**: the same procedures and definitions across Contracting Parties;
- **predictable and transparent**: published laws, rulings and appeals;
- **modern**: the greatest possible use of information technology and risk management;
- **efficient for control**: controls concentrated where the risk is highest.

## Why it matters to officers

The RKC is often called the **blueprint for modern customs**. Many national customs codes, among them the Customs
Code of the Eurasian Economic Union and the EU's Union Customs Code, follow its definitions and principles. Knowing
the RKC helps an officer understand *why* national procedures look as they do, and explain them to traders.

## Other instruments

The WTO **Trade Facilitation Agreement** (concluded in 2013, in force since 2017) made several RKC principles
binding under WTO law: publication of information, advance rulings, pre-arrival processing, risk management,
post-clearance audit and authorised operators.
"""

KYOTO_EN_STRUCTURE = """\
## The parts

| Part | Content | Binding? |
|---|---|---|
| **Body** | preamble, definitions, scope, management, accession, amendments, reservations | yes, for every party |
| **General Annex** | 10 chapters on core principles and procedures | yes, in full; **no reservations** |
| **Specific Annexes** | 10 annexes (A to K) on individual procedures, divided into chapters | only those accepted |
| **Guidelines** | explanations and good practice for each annex | no, not part of the legal text |

## Chapters of the General Annex

1. General principles
2. Definitions
3. Clearance and other customs formalities
4. Duties and taxes
5. Security (guarantees)
6. Customs control
7. Application of information technology
8. Relationship between the customs and third parties
9. Information, decisions and rulings supplied by the customs
10. Appeals in customs matters

## The Specific Annexes

| Annex | Subject |
|---|---|
| A | Arrival of goods in a customs territory |
| B | Importation |
| C | Exportation |
| D | Customs warehouses and free zones |
| E | Transit |
| F | Processing |
| G | Temporary admission |
| H | Offences |
| J | Special procedures: travellers, postal traffic, relief consignments and others |
| K | Origin |

A Contracting Party must accept the Body and the General Annex; it may accept **any number** of Specific Annexes,
or of chapters within them, when it accedes or later.

## The Management Committee

The **RKC Management Committee**, made up of the Contracting Parties, keeps the Convention under review, proposes
amendments and adopts the Guidelines.
"""

KYOTO_EN_LINK = """\
The WCO publishes the text of the Revised Kyoto Convention: the Body, the General Annex and the Specific Annexes,
with the Guidelines and the current list of Contracting Parties. Read the General Annex, Chapters 3 and 6, before
the next module.
"""

KYOTO_EN_PROVISIONS = """\
## Three kinds of provisions

| Provision | Where | Obligation | Deadline for the party |
|---|---|---|---|
| **Standard** | General and Specific Annexes | must be implemented | **36 months** |
| **Transitional Standard** | General Annex only | must be implemented, with more time | **60 months** |
| **Recommended Practice** | Specific Annexes | to be applied as far as possible | none; reservations allowed |

A **Standard** is a provision whose implementation is recognised as necessary for harmonisation and
simplification. A **Transitional Standard** is a Standard for which a longer implementation period is allowed,
usually because it needs legal or technical changes such as computerisation. A **Recommended Practice** is
desirable; a party that cannot apply it may enter a **reservation**, giving its reasons and reviewing it at least
every three years. The deadlines run from the entry into force of the annex or chapter for that party.

## Examples from the General Annex

- **Standard 3.11** lets customs prescribe the content of the goods declaration, with a paper format based on the
  UN Layout Key and electronic formats based on international standards.
- **Transitional Standard 3.32**: for authorised persons who meet criteria set by customs, release on minimum
  information, clearance at the trader's premises, periodic declarations and self-assessment of duties.
- **Standard 6.2**: customs control shall be limited to that necessary to ensure compliance with customs law.
- **Standard 6.3**: in the application of customs control, customs shall use risk management.
- **Standard 6.4**: customs shall use risk analysis to decide which persons and goods should be examined, and to
  what extent.

## Reading the numbers

Provisions are numbered by chapter: *Standard 6.3* is the third provision of Chapter 6. In the Specific Annexes the
number belongs to a chapter of the annex, for example Specific Annex E, Chapter 1 (customs transit).

## National law

The RKC does not apply to traders directly: it obliges each Contracting Party to bring its **national legislation**
into line. Officers apply the national customs code, and that is where the RKC's standards become concrete rules.
"""

KYOTO_EN_PRINCIPLES = """\
## The principles

The WCO sums up the principles of the Convention, set out in its preamble and General Annex, as follows:

- **transparency and predictability** of customs action;
- **standardisation and simplification** of the goods declaration and supporting documents;
- **simplified procedures for authorised persons**;
- **maximum use of information technology**;
- **minimum necessary customs control** to ensure compliance with regulations;
- use of **risk management** and **audit-based controls**;
- **coordinated interventions** with other border agencies;
- **partnership with the trade**.

## In practice

| Principle | At a border crossing |
|---|---|
| Transparency | published procedures, fees and opening hours; binding rulings on classification and origin |
| Information technology | electronic declarations lodged before arrival; electronic payment |
| Risk management | most declarations released in the green channel; targeted inspections |
| Audit-based control | checks of the trader's records after release, instead of holding goods at the border |
| Coordinated interventions | one joint inspection of a truck by customs, border guards and veterinary services |
| Appeals (Chapter 10) | a trader contests a decision, first with customs, then before an independent body |

## Chapter 10: the right of appeal

Any person directly affected by a decision or omission of customs has a **right of appeal**. Customs give the
reasons for a decision on request, and national law sets out the appeal procedure. For an officer this means that
every decision must be **reasoned and recorded**.

## Chapter 9: information and rulings

Customs must make information on laws, procedures and rates readily available, and issue **binding rulings** at the
request of the person concerned where national law provides for them. Accurate information at the counter is part
of the officer's job, not a favour.
"""

KYOTO_EN = CourseData(
    topic="kyoto",
    language="en",
    title="The Revised Kyoto Convention: Structure and Practice",
    summary=(
        "The International Convention on the Simplification and Harmonization of Customs Procedures as revised in "
        "1999: its Body, General Annex and Specific Annexes, the legal force of Standards, Transitional Standards "
        "and Recommended Practices, and the key principles that shape modern customs procedures."
    ),
    tags="Revised Kyoto Convention, WCO, customs procedures, trade facilitation, international conventions",
    category="Customs procedures and conventions",
    academy="tashkent",
    visibility=Visibility.SHARED,
    shared_with=("rezekne", "bishkek", "dushanbe", "almaty"),
    modules=(
        ModuleData(
            "Structure of the Convention",
            (
                LessonData("From Kyoto 1973 to the Revised Convention", KYOTO_EN_HISTORY),
                LessonData("Body, General Annex and Specific Annexes", KYOTO_EN_STRUCTURE),
                LessonData(
                    "WCO: the text of the Revised Kyoto Convention",
                    KYOTO_EN_LINK,
                    kind=LessonKind.LINK,
                    url=WCO_RKC_URL,
                ),
            ),
        ),
        ModuleData(
            "Key provisions",
            (
                LessonData("Standards, Transitional Standards and Recommended Practices", KYOTO_EN_PROVISIONS),
                LessonData("Key principles of the General Annex", KYOTO_EN_PRINCIPLES),
            ),
        ),
    ),
)


# --- Безопасность документов (Russian) ----------------------------------------------------------------------------

DOCUMENTS_RU_SUBSTRATE = """\
## Начинайте с основы

Подделать рисунок гораздо проще, чем материал, на котором он напечатан. Поэтому любую проверку начинайте с
**основы документа**: бумага это или поликарбонат, какова она на ощупь, какой толщины и как реагирует на
ультрафиолетовое излучение.

### Бумажные документы

- **Бумага без оптического отбеливателя**: в УФ-свете с длиной волны 365 нм защищённая бумага остаётся тёмной,
  а обычная офисная светится голубовато-белым.
- **Водяной знак**: многотоновый водяной знак формируется при отливе бумаги; в проходящем свете видны плавные
  переходы от светлого к тёмному. Имитация печатью или тиснением даёт резкие границы или видна в отражённом свете.
- **Защитные волокна и конфетти**: видимые или люминесцирующие в УФ-свете волокна хаотично распределены *в толще*
  бумаги, а не на её поверхности.
- **Защитная нить**: внедрённая или «ныряющая» (с окнами), иногда с микротекстом.

### Способы печати

| Способ | Что видно | Как проверить |
|---|---|---|
| **Металлографская печать (интальо)** | рельефные чёткие штрихи; скрытое изображение | на ощупь, косой свет, лупа 10× |
| **Офсет с гильоширными элементами** | тонкие переплетающиеся линии, ирисовая печать | лупа: непрерывные линии |
| **Высокая печать** | нумерация с выдавливанием краски и рельефом | косой свет, оборотная сторона |
| **Микропечать** | текст высотой 0,2 мм и менее | лупа 10×: чёткие знаки |
| **Люминесцентные краски** | невидимые изображения, светящиеся в УФ-свете | УФ-осветитель 365 нм |

Помните: офисные офсетные, струйные и лазерные принтеры строят изображение из **растровых точек**, а подлинные
гильоширные сетки и микротекст состоят из **непрерывных линий**. Растровые точки в гильоширной розетке под лупой —
серьёзный признак поддельного бланка.
"""

DOCUMENTS_RU_OVD = """\
## Оптически переменные элементы (OVD)

**Оптически переменный элемент** меняет вид в зависимости от угла наблюдения или освещения. Его невозможно
воспроизвести сканированием или копированием, поэтому он есть почти в каждом современном проездном документе.

- **Дифракционные элементы (DOVID)**: голограммы и кинеграммы в ламинате или фольге на странице данных. Наклоните
  документ: изображения должны плавно смещаться, сменяться или менять цвет, а фольга должна составлять единое
  целое со страницей, а не быть наклеенной сверху.
- **Оптически переменная краска (OVI)**: меняет цвет при наклоне, например с зелёного на фиолетовый.
- **Переменные и множественные лазерные изображения (CLI/MLI)**: выполнены лазерной гравировкой через линзовый
  растр; при наклоне чередуются два изображения (часто фотография и дата рождения).

## Персонализация

Именно при персонализации чаще всего выполняются **частичные подделки** (изменение подлинного документа), в
отличие от **полных подделок**, когда бланк изготовлен целиком.

1. **Лазерная гравировка в поликарбонате**: данные «выжжены» во внутренних слоях. Поверхность гладкая, фотография
   выполнена в оттенках серого, отделить её невозможно. На некоторых знаках ощущается тактильный рельеф.
2. **Струйная или термотрансферная печать на бумаге под ламинатом**: проверьте края ламината, пузыри и то, не
   нарушает ли фотография фоновую сетку.
3. **Вторичное («призрачное») изображение**: уменьшенная копия фотографии владельца, часто с УФ- или
   OVD-элементами. Оно должно совпадать с основной фотографией.

## Признаки изменения документа

- Царапины на странице данных, иной блеск поверхности вокруг фотографии или фамилии.
- Фоновая сетка под персональными данными прервана или смещена.
- Шрифт персональных данных отличается от образца государства выдачи.
- Данные визуальной зоны, машиносчитываемой зоны и микросхемы не совпадают.
"""

DOCUMENTS_RU_CHIP = """\
## Что хранится в микросхеме

В электронном паспорте (на обложке — символ электронного документа ИКАО) установлена бесконтактная микросхема с
**логической структурой данных** по Doc 9303 ИКАО, часть 10: группы данных **DG1** (данные МСЗ), **DG2**
(изображение лица), при наличии доступа **DG3** (отпечатки пальцев), а также **объект защиты документа (SOD)**.

## Механизмы защиты

| Механизм | Назначение |
|---|---|
| **Пассивная аутентификация** | подтверждает, что данные подписаны государством выдачи и не изменены |
| **BAC / PACE** | контроль доступа: ключи выводятся из МСЗ (или CAN) до чтения данных |
| **Активная аутентификация, аутентификация чипа** | подтверждает, что микросхема подлинная, а не копия |
| **Аутентификация терминала (EAC)** | отпечатки пальцев читают только уполномоченные терминалы |

Пассивная аутентификация основана на цепочке доверия: сертификат **CSCA** (национального удостоверяющего центра)
государства выдачи подписывает сертификат **подписанта документов (DS)**, которым подписан SOD, а SOD содержит
хеш-значения всех групп данных. Пограничные системы получают сертификаты CSCA путём двустороннего обмена или через
**Директорию открытых ключей ИКАО (PKD)** и мастер-листы.

## Что это значит на первой линии

- Нечитаемая микросхема **не** доказывает подделку (микросхемы выходят из строя), но документ заслуживает более
  тщательного визуального осмотра.
- Если микросхема читается, но пассивная аутентификация не пройдена, — это серьёзный сигнал: неверны данные или
  цепочка сертификатов.
- Сравните **изображение из DG2** с напечатанной фотографией и с лицом предъявителя: переклеенная фотография на
  странице данных не совпадёт с изображением в микросхеме.
- Сохраняйте навыки физической проверки: подлинная микросхема может оказаться в документе, полученном
  мошенническим путём.
"""

DOCUMENTS_RU_MRZ = """\
## Форматы

Doc 9303 ИКАО определяет три формата машиносчитываемых проездных документов (МСПД):

| Формат | Типичный документ | МСЗ |
|---|---|---|
| **TD1** | удостоверение личности (ID-карта) | 3 строки по 30 знаков |
| **TD2** | старые ID-карты, некоторые визы | 2 строки по 36 знаков |
| **TD3** | паспорт-книжка | 2 строки по 44 знака |

Машиносчитываемая зона (МСЗ) печатается шрифтом **OCR-B**; в ней используются только знаки A–Z, 0–9 и
заполнитель `<`.

## Первая строка паспорта TD3

`P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<`

- позиции 1–2: код документа (`P<` — паспорт; вторая буква может указывать его вид);
- позиции 3–5: государство или организация выдачи (трёхбуквенный код ИКАО; `UTO` — вымышленная Утопия);
- позиции 6–44: имя: основной идентификатор (фамилия), `<<`, затем вторичный идентификатор (имена),
  разделённые знаком `<`.

## Вторая строка

`L898902C36UTO7408122F1204159ZE184226B<<<<<10`

| Позиции | Поле | Образец |
|---|---|---|
| 1–9 | номер документа | `L898902C3` |
| 10 | контрольная цифра | `6` |
| 11–13 | гражданство | `UTO` |
| 14–19 | дата рождения (ГГММДД) | `740812` |
| 20 | контрольная цифра | `2` |
| 21 | пол (`M`, `F` или `<`) | `F` |
| 22–27 | дата окончания срока действия (ГГММДД) | `120415` |
| 28 | контрольная цифра | `9` |
| 29–42 | факультативные данные, например личный номер | `ZE184226B<<<<<` |
| 43 | контрольная цифра факультативных данных | `1` |
| 44 | общая (композитная) контрольная цифра | `0` |

Обучаемые должны читать МСЗ **до** визуальной зоны и сверять их поле за полем: изменив напечатанные данные,
фальсификатор нередко забывает о МСЗ или пересчитывает контрольные цифры, но непоследовательно изменяет поле имени.
"""

DOCUMENTS_RU_CHECK_DIGITS = """\
## Алгоритм

Все контрольные цифры МСЗ рассчитываются одинаково:

1. Каждому знаку присваивается **числовое значение**: цифры сохраняют своё значение, буквы от `A` до `Z` получают
   значения от 10 до 35 (A=10, B=11 … Z=35), заполнитель `<` равен 0.
2. Значения слева направо умножаются на повторяющиеся **весовые коэффициенты 7, 3, 1**.
3. Произведения складываются; контрольная цифра — **остаток от деления суммы на 10**, то есть её последняя цифра.

## Пример: номер документа `L898902C3`

| Знак | L | 8 | 9 | 8 | 9 | 0 | 2 | C | 3 |
|---|---|---|---|---|---|---|---|---|---|
| Значение | 21 | 8 | 9 | 8 | 9 | 0 | 2 | 12 | 3 |
| Вес | 7 | 3 | 1 | 7 | 3 | 1 | 7 | 3 | 1 |
| Произведение | 147 | 24 | 9 | 56 | 27 | 0 | 14 | 36 | 3 |

Сумма: 147 + 24 + 9 + 56 + 27 + 0 + 14 + 36 + 3 = **316**; остаток от деления 316 на 10 равен **6** — именно эта
цифра стоит в позиции 10.

Дата рождения `740812` даёт 7×7 + 4×3 + 0×1 + 8×7 + 1×3 + 2×1 = 122, контрольная цифра **2**; дата окончания срока
действия `120415` даёт 49, контрольная цифра **9**.

## Общая контрольная цифра

Последняя цифра второй строки защищает несколько полей сразу: позиции 1–10, 14–20 и 22–43 объединяются в одну
строку и рассчитываются тем же методом. В образце результат равен **0**.

## Методические указания

- Верная контрольная цифра доказывает лишь **внутреннюю согласованность** МСЗ, а не подлинность документа:
  изготовители подделок пользуются тем же общедоступным алгоритмом.
- Неверная контрольная цифра в документе, который выглядит подлинным, — серьёзный признак **изменения** документа
  или некачественной подделки; направьте документ на вторую линию.
- Пусть обучаемые хотя бы одну контрольную цифру рассчитают вручную, прежде чем доверять считывателю.
"""

DOCUMENTS_RU_ICAO = """\
Спецификация машиносчитываемых проездных документов, которую ИКАО публикует в открытом доступе на своих
официальных языках. Для этого курса изучите **часть 3** (общие спецификации, в том числе алгоритм контрольных цифр),
**часть 4** (паспорта формата TD3), **части 5 и 6** (документы TD1 и TD2) и для микросхемы — **части 10–12**
(логическая структура данных, механизмы защиты, инфраструктура открытых ключей).
"""

DOCUMENTS_RU_SHEET = """\
Распечатайте практический лист (на английском языке, как и документация ИКАО), рассчитайте контрольные цифры
вручную и сравните результаты с коллегой до следующего занятия. В упражнении 7 одна строка изменена: найдите
изменённое поле и объясните, как его выдают контрольные цифры.
"""

DOCUMENTS_RU_SESSION = """\
## От знаний к навыку

У сотрудника первой линии на один документ — секунды, а не минуты. Задача инструктора — превратить знание защитных
элементов в **быстрый и воспроизводимый алгоритм действий**, поэтому каждое занятие строится вокруг этого
алгоритма.

## План занятия (90 минут)

| Этап | Время | Содержание |
|---|---|---|
| Вводная часть | 10 мин | учебные цели, связь с недавними случаями |
| Показ | 20 мин | инструктор проверяет подлинный документ по трёхуровневой схеме |
| Практика под руководством | 30 мин | работа в парах с подлинными и поддельными образцами |
| Контроль | 20 мин | индивидуальное задание: классифицировать документы и обосновать решение |
| Подведение итогов | 10 мин | типичные ошибки, справочные источники, вопросы |

## Три уровня проверки

1. **Уровень 1**: невооружённым глазом и на ощупь — рельеф металлографской печати, поведение OVD, водяной знак в
   проходящем свете.
2. **Уровень 2**: простые средства на рабочем месте — УФ-осветитель, лупа 10×, считыватель МСЗ и микросхемы.
3. **Уровень 3**: экспертное исследование на второй линии или в криминалистической лаборатории.

## Рекомендации инструктору

- Формулируйте цели как наблюдаемые действия: *«Обучаемый находит металлографскую печать на странице данных и
  объясняет, как её проверить»*, а не *«понимает, что такое интальо»*.
- Начинайте с **подлинных образцов**: поддельный документ имеет смысл только в сравнении с подлинным.
- Берегите образцы: ведите их учёт, собирайте после каждого занятия, не копируйте для раздаточных материалов.
- Используйте открытые справочные реестры, например реестр **PRADO** Совета ЕС, с описаниями подлинных документов.
- Завершайте занятие **контрольными вопросами**, которые сотрудник задаёт себе в кабине: *Подлинен ли материал?
  Подлинна ли печать? Не изменена ли персонализация? Соответствует ли предъявитель документу?*
"""

DOCUMENTS_RU_ASSESSMENT = """\
## Оценка, отражающая реальную работу

Письменный тест на знание названий способов печати мало говорит о способности сотрудника выявить поддельный
документ. Оценивайте то, что требуется на службе:

- **Доля выявления**: какую часть поддельных документов обучаемый обнаружил в смешанном наборе.
- **Доля ложных тревог**: какую часть подлинных документов он ошибочно направил на вторую линию. Сотрудник,
  направляющий всех подряд, тоже неэффективен.
- **Обоснование**: для каждого направления на вторую линию — конкретные признаки, вызвавшие подозрение.
- **Время**: реалистичный лимит на документ, например 60–90 секунд на полную проверку уровней 1 и 2.

Смешанный набор для продвинутого курса может включать 20 документов, из которых 6–8 — полные или частичные
подделки либо подлинные документы, предъявленные **самозванцем** (импостером).

## Актуализация материалов

Способы подделки документов быстро меняются. Курс подготовки инструкторов должен дать каждому будущему инструктору
метод обновления собственных материалов:

1. Подпишитесь на **ориентировки** национального центра экспертизы документов и на международные оповещения, если
   служба имеет к ним доступ.
2. Раз в полгода изучайте новые документы соседних государств и основных стран происхождения.
3. Заменяйте образцы, утратившие актуальность, и фиксируйте происхождение каждого образца.
4. Обменивайтесь обезличенными разборами случаев между академиями: поддельный вид на жительство, выявленный в
   Резекне, через месяц может появиться в Алматы.

## Самопроверка инструктора

- Могу ли я без конспекта объяснить каждый защитный элемент нашего национального паспорта?
- Больше ли обучаемые практикуются, чем слушают?
- Когда я в последний раз обновлял разборы случаев?
"""

DOCUMENTS_RU = CourseData(
    topic="documents",
    language="ru",
    title="Безопасность документов: подготовка инструкторов (продвинутый уровень)",
    summary=(
        "Курс продвинутого уровня для инструкторов, обучающих сотрудников первой и второй линии проверке проездных "
        "документов. Защищённая основа, способы печати и оптически переменные элементы, машиносчитываемая зона по "
        "Doc 9303 ИКАО с расчётом контрольных цифр, электронный паспорт, методика практических занятий и оценки."
    ),
    tags="безопасность документов, подготовка инструкторов, ИКАО 9303, МСЗ, выявление подделок, продвинутый уровень",
    category="Document security",
    visibility=Visibility.SHARED,
    shared_with=CENTRAL_ASIA,
    modules=(
        ModuleData(
            "Основа документа, способы печати и оптически переменные элементы",
            (
                LessonData("Защищённая основа и способы печати", DOCUMENTS_RU_SUBSTRATE),
                LessonData("Оптически переменные элементы и персонализация", DOCUMENTS_RU_OVD),
                LessonData("Микросхема электронного паспорта и инфраструктура открытых ключей", DOCUMENTS_RU_CHIP),
            ),
        ),
        ModuleData(
            "Машиносчитываемая зона",
            (
                LessonData("Машиносчитываемая зона формата TD3 (Doc 9303 ИКАО)", DOCUMENTS_RU_MRZ),
                LessonData("Контрольные цифры: разбор примера", DOCUMENTS_RU_CHECK_DIGITS),
                LessonData(
                    "Doc 9303 ИКАО: машиносчитываемые проездные документы",
                    DOCUMENTS_RU_ICAO,
                    kind=LessonKind.LINK,
                    url=ICAO_9303_URL,
                ),
                LessonData(
                    "Практический лист: контрольные цифры МСЗ (PDF)",
                    DOCUMENTS_RU_SHEET,
                    kind=LessonKind.FILE,
                    media=PDF_NAME,
                ),
            ),
        ),
        ModuleData(
            "Подготовка инструкторов",
            (
                LessonData("Планирование практического занятия по проверке документов", DOCUMENTS_RU_SESSION),
                LessonData("Оценка обучаемых и актуализация курса", DOCUMENTS_RU_ASSESSMENT),
            ),
        ),
    ),
)


# --- Анализ рентгеновских изображений (Russian) --------------------------------------------------------------------

XRAY_RU_COLOURS = """\
## Поглощение и плотность

Рентгеновское излучение ослабляется, проходя через вещество. Чем выше **плотность** материала и его **атомный
номер**, тем сильнее поглощение; детектор регистрирует прошедшее излучение, и система строит по нему изображение.
Тонкие и лёгкие материалы выглядят светлыми, толстые и тяжёлые — тёмными.

## Две энергии

Современные системы измеряют каждую точку при **двух уровнях энергии**. Низкоэнергетическое излучение гораздо
сильнее поглощается элементами с большим атомным номером, а поглощение высокоэнергетического зависит в основном от
плотности. Сравнение двух сигналов позволяет оценить **эффективный атомный номер (Zэфф)** материала, и система
окрашивает изображение в соответствующий цвет.

| Цвет | Класс материала | Zэфф | Примеры |
|---|---|---|---|
| **Оранжевый** | органические вещества | менее ~10 | взрывчатые вещества, наркотики, продукты, дерево, пластик |
| **Зелёный** | смешанные и лёгкие неорганические | ~10–18 | алюминий, соль, стекло, органика с металлом |
| **Синий** | неорганические, металлы | более ~18 | сталь, медь, железо, цинк |
| **Чёрный** | непросвечиваемые | не определяется | толстая сталь, свинец: анализ невозможен |

**Насыщенность** цвета говорит о толщине: бледно-оранжевый цвет означает тонкий слой, тёмно-оранжевый — массивный
блок органического вещества.

## Ограничения

- Цветовая классификация — лишь оценка, а палитры разных производителей различаются: изучите палитру своей системы.
- Перекрывающиеся предметы смешиваются: органическое вещество за металлической пластиной может выглядеть зелёным
  или синим.
- **Чёрные зоны всегда требуют разрешения** — другой проекцией, режимом повышенной проникающей способности или
  досмотром. За плотным предметом можно спрятать что угодно.
- Наркотики и взрывчатые вещества — органические. Изображение показывает подозрительную форму, плотность и
  расположение, а не само вещество; для подтверждения нужны детектор следов, экспресс-тест или лаборатория.
"""

XRAY_RU_SYSTEMS = """\
## Три типа оборудования

| Система | Энергия | Где применяется | Изображение |
|---|---|---|---|
| Интроскоп для багажа и посылок | около 140–180 кВ | терминалы, почтовые центры | одна-две проекции, цветное |
| Мобильный или стационарный ИДК | около 4–9 МэВ (ускоритель) | автопункты, порты, железная дорога | грузовик целиком |
| Система обратного рассеяния | низкая, отражённое излучение | автомобили, стенки прицепов | только ближняя сторона |

В интроскопах используются рентгеновские трубки, их энергия указывается в киловольтах. В
**инспекционно-досмотровых комплексах (ИДК)** используется **линейный ускоритель** с энергией в мегаэлектронвольтах;
в зависимости от модели и режима они просвечивают примерно 250–400 мм стали.

## Многопроекционные системы

Две проекции, например снизу и сбоку, уменьшают проблему наложения предметов. На однопроекционной системе
поверните сумку и просветите её повторно, если участок изображения неясен.

## Радиационная безопасность операторов

- Интроскопы — экранированные камеры: при исправных шторках и блокировках мощность дозы снаружи находится на уровне
  фона. О повреждённых шторках сообщайте немедленно.
- Вокруг ИДК устанавливается **контролируемая зона**. Следите, чтобы в зоне отчуждения никого не было, соблюдайте
  режим сканирования для водителя (в большинстве систем кабина не просвечивается или водитель покидает
  транспортное средство) и носите индивидуальный дозиметр.

## Работа с документами

Изображения грузов всегда анализируются **вместе с документами**: манифестом, декларацией на товары и кодами
ТН ВЭД. Контейнер, заявленный как «керамическая плитка», должен давать ровное изображение плотного неорганического
груза. Органический блок за плиткой или груз, который заканчивается в двух метрах от дверей, — это находка.
"""

XRAY_RU_VIDEO = """\
Ролик имитирует прохождение сумок через двухэнергетический интроскоп; изображение движется справа налево, как на
экране оператора. Останавливайте воспроизведение, когда в тоннель входит новая сумка, и называйте класс материала
каждого предмета, пока он не исчез с экрана:

- **оранжевый** — органические вещества;
- **зелёный** — смешанные или лёгкие неорганические материалы;
- **синий** — металлы;
- **чёрный** — непросвечиваемый участок, требующий разрешения.

Ролик синтетический, без звука. Он тренирует знание цветовой кодировки, а не распознавание реальных угроз.
"""

XRAY_RU_METHOD = """\
## Зачем нужен метод

Оператор, который смотрит на изображение «целиком», находит очевидное и пропускает скрытое. Структурированный поиск
и регулярные тренировки с **проецированием условных угроз (TIP)** поддерживают высокий уровень выявления. Применяйте
одну и ту же последовательность к каждому изображению.

## Последовательность

1. **Общий обзор**: что это за объект — чемодан, посылка, грузовик, контейнер? Полное ли изображение, хорошего ли
   качества?
2. **Сравнение с заявленным или ожидаемым**: сумка с одеждой, посылка с «книгами», контейнер с плиткой.
3. **Просмотр по цветам**: сначала оранжевые зоны (наркотики, взрывчатые вещества, пачки денежных знаков), затем
   синие (оружие и его части), затем **каждая чёрная зона**.
4. **Анализ конструкции**: стенки, дно, ручки, каркас, шины, топливные баки, пол и крыша прицепа.
5. **Функции обработки изображения** для всех неясных участков:
   - **инверсия** (негатив) — для мелких деталей и проводов;
   - **исключение органики или неорганики** — чтобы скрыть один класс материалов;
   - **повышенная проникающая способность** (усиление тёмных зон) — для плотных участков;
   - **увеличение** и **выделение контуров**.
6. **Решение**: выпуск, повторное сканирование в другом положении или **досмотр**. Зафиксируйте основание.

## Человеческий фактор

- Анализ изображений утомителен. Регулярно меняйте операторов: во многих службах непрерывная работа за экраном
  ограничена 20–30 минутами.
- Ждите редкого: когда угрозы встречаются редко, операторы перестают их искать. TIP и реалистичные учения
  противодействуют этому эффекту.
- Если два оператора расходятся во мнениях, это повод для досмотра, а не для спора.
"""

XRAY_RU_CONCEALMENT = """\
## На что обращать внимание

Контрабандисты прячут товары там, где рентгеновское изображение труднее всего прочитать или куда сотрудник вряд ли
заглянет. Типичные признаки:

- **Двойные стенки и ложное дно**: стенка сумки или кейса толще или плотнее обычного, равномерный органический слой
  под подкладкой.
- **Изменённые конструкции**: ручки, каркас и колёса чемодана плотнее обычного; наркотики в трубках выдвижной
  ручки.
- **Аномалии в однородном грузе**: в контейнере с одинаковыми коробками — участок с иной плотностью, цветом или
  рисунком.
- **Несоответствие декларации**: органика в грузе, заявленном как металлоизделия, или частично пустой контейнер,
  заявленный как полный.
- **Тайники в транспортных средствах**: топливные баки с внутренними перегородками, запасные колёса с плотным
  содержимым, крыша и пол толще заводской конструкции, полости за приборной панелью и в порогах.
- **Экранирование**: плотный предмет (свинец, стальной лист), намеренно размещённый так, чтобы скрыть то, что за
  ним находится.

## Примеры

| Заявлено | На изображении | Возможное объяснение |
|---|---|---|
| Фруктовый сок, 22 паллеты | ровный груз у дверей, иной рисунок у передней стенки | груз прикрытия |
| Автозапчасти, бывшие в употреблении | однородные оранжевые пакеты в корпусе коробки передач | наркотики в полости |
| Одежда | тонкий равномерный слой по дну сумки | деньги или документы под ложным дном |

## Действия по результату

Отметьте участок на изображении, сохраните его в материалах дела и точно укажите досмотровой группе, где искать.
Хороший аналитик сокращает досмотр с нескольких часов до нескольких минут.
"""

XRAY_RU = CourseData(
    topic="xray",
    language="ru",
    title="Анализ рентгеновских изображений для сотрудников таможенных и пограничных служб",
    summary=(
        "Как двухэнергетические рентгеновские системы показывают содержимое багажа, почтовых отправлений, "
        "транспортных средств и контейнеров и как систематически анализировать их изображения. Цветовая "
        "кодировка, функции обработки изображения, признаки сокрытия и решение о проведении досмотра."
    ),
    tags="рентген, анализ изображений, ИДК, досмотровая техника, сокрытие, таможенный контроль",
    category="X-ray and inspection technology",
    visibility=Visibility.SHARED,
    shared_with=CENTRAL_ASIA,
    modules=(
        ModuleData(
            "Принцип работы рентгеновских систем",
            (
                LessonData("Двухэнергетическая съёмка и цветовая кодировка", XRAY_RU_COLOURS),
                LessonData("Досмотровая техника для багажа, посылок и грузов", XRAY_RU_SYSTEMS),
            ),
        ),
        ModuleData(
            "Анализ изображения",
            (
                LessonData(
                    "Видео: имитация двухэнергетического сканирования",
                    XRAY_RU_VIDEO,
                    kind=LessonKind.VIDEO,
                    media=VIDEO_NAME,
                ),
                LessonData("Систематический метод анализа изображения", XRAY_RU_METHOD),
                LessonData("Признаки сокрытия", XRAY_RU_CONCEALMENT),
            ),
        ),
    ),
)


# --- Радиационный контроль и товары двойного назначения (Russian) -------------------------------------------------

RADIATION_RU_UNITS = """\
## Виды излучения

| Излучение | Природа | Чем задерживается | Чем выявляется на границе |
|---|---|---|---|
| **Альфа** | ядра гелия | лист бумаги, кожа | только контактными приборами |
| **Бета** | электроны | несколько мм алюминия или пластика | мониторами загрязнения |
| **Гамма** | электромагнитное | ослабляется свинцом, сталью, бетоном | стационарными и переносными приборами |
| **Нейтронное** | нейтральные частицы | вода, полиэтилен | нейтронными детекторами стационарных систем |

Через транспортное средство стационарные системы «видят» гамма- и нейтронное излучение. Нейтроны — серьёзный
признак плутония или некоторых промышленных источников, так как обычные товары почти никогда их не испускают.

## Единицы

- **Беккерель (Бк)** — активность, один распад в секунду. Внесистемная единица — кюри: 1 Ки = 3,7 × 10¹⁰ Бк.
- **Грей (Гр)** — поглощённая доза, один джоуль на килограмм.
- **Зиверт (Зв)** — эквивалентная и эффективная доза с учётом вида излучения и облучаемых органов. Внесистемная
  единица — бэр: 1 Зв = 100 бэр.
- **Мощность дозы** — доза за единицу времени; на границе её обычно измеряют в **микрозивертах в час (мкЗв/ч)**.

## Порядок величин

- Естественный радиационный фон: примерно **0,05–0,3 мкЗв/ч**, выше в горах и на гранитных породах.
- Годовой предел дозы для населения при планируемом облучении — **1 мЗв**; для персонала — **20 мЗв** в год в
  среднем за пять лет (Общие требования безопасности МАГАТЭ, часть 3).
- Во многих руководствах для аварийных служб граница зоны безопасности проводится там, где мощность дозы достигает
  **100 мкЗв/ч**.

## Защита: время, расстояние, экранирование

Находитесь рядом с источником как можно меньше времени, держите дистанцию (мощность дозы убывает пропорционально
**квадрату расстояния**: вдвое дальше — вчетверо меньше) и ставьте между собой и источником плотные материалы.
"""

RADIATION_RU_RPM = """\
## Как устроена стационарная система

**Радиационный портальный монитор** (стационарная система радиационного контроля) состоит из двух стоек по обе
стороны полосы движения. В каждой стойке — крупные **пластиковые сцинтилляторы** (поливинилтолуол, PVT) для
регистрации гамма-излучения и, как правило, **нейтронные детекторы** (счётчики на гелии-3 или их современные
замены). **Датчик присутствия** запускает измерение, когда в зону контроля въезжает транспортное средство или входит
человек.

Система сравнивает скорость счёта при проезде с **фоном**, измеренным при пустой полосе, и подаёт сигнал тревоги,
когда превышение больше порога, заданного в стандартных отклонениях (например, 4–6 сигм). Детекторы PVT очень
чувствительны, но имеют низкое энергетическое разрешение: они сообщают, *что* объект радиоактивен, но не *какой*
радионуклид он содержит.

## Неопасные срабатывания

Большинство срабатываний вызывают законные товары с **природными радионуклидами**:

- керамическая плитка, сантехника, гранит и некоторые другие строительные материалы;
- калийные удобрения (калий-40) и некоторые насыпные пищевые продукты;
- металлолом, сварочные электроды с торием;
- пациенты, недавно получившие **радиофармпрепараты**, например технеций-99m или йод-131.

## Углублённый контроль

1. Направьте транспортное средство на площадку углублённого контроля и не допускайте его убытия.
2. Повторите измерение **персональным радиационным детектором** и ручным **идентификатором радионуклидов** с
   детектором NaI, LaBr₃ или CZT.
3. Локализуйте источник: обойдите транспортное средство и найдите точку с максимальной мощностью дозы.
4. **Идентифицируйте радионуклид** и сверьте результат с документами: лицензия, транспортные документы, номер ООН,
   знаки категории на упаковках.
5. Если радионуклид не природный и не заявленный медицинский или промышленный источник либо мощность дозы высока,
   держите дистанцию, установите оцепление и вызовите уполномоченный орган (регулирующий орган в области
   радиационной или ядерной безопасности) в соответствии с национальным планом реагирования.

Регистрируйте каждое срабатывание, в том числе неопасное: статистика показывает, правильно ли заданы пороги.
"""

RADIATION_RU_DUAL_USE = """\
## Что такое товары двойного назначения

**Товары двойного назначения** — это товары, программное обеспечение и технологии, которые могут использоваться как
в гражданских, так и в военных целях, в том числе для создания оружия массового уничтожения. Примеры: прецизионные
станки, углеродное волокно, некоторые коррозионностойкие насосы и клапаны, преобразователи частоты, программы
шифрования, тепловизоры.

## Международные режимы

| Режим | Сфера |
|---|---|
| **Вассенаарские договорённости** | обычные вооружения, товары и технологии двойного назначения |
| **Группа ядерных поставщиков (ГЯП)** | ядерные материалы и связанные с ними товары двойного назначения |
| **Австралийская группа** | химическое и биологическое оружие: прекурсоры, патогены, оборудование |
| **Режим контроля за ракетной технологией (РКРТ)** | ракеты и беспилотные летательные аппараты |
| **Конвенция о химическом оружии (КХО)** | химикаты из списков Конвенции |

## Список ЕС

**Регламент (ЕС) 2021/821** устанавливает режим ЕС для контроля экспорта, брокерской деятельности, технического
содействия, транзита и передачи товаров двойного назначения. В **Приложении I** списки режимов сведены в десять
категорий: 0 ядерные материалы, установки и оборудование; 1 специальные материалы и связанное с ними оборудование;
2 обработка материалов; 3 электроника; 4 вычислительная техника; 5 телекоммуникации и информационная безопасность;
6 датчики и лазеры; 7 навигация и авионика; 8 морская техника; 9 аэрокосмическая техника и двигательные установки.

Каждая позиция имеет пятизначный код, например **2B001**: категория **2**, группа **B** (A — системы и оборудование,
B — испытательное, контрольное и производственное оборудование, C — материалы, D — программное обеспечение,
E — технологии) и три цифры, первая из которых указывает режим-источник (0 — Вассенаар, 1 — РКРТ, 2 — ГЯП,
3 — Австралийская группа, 4 — КХО).

## Всеобъемлющий контроль (catch-all)

Даже товар, **не** включённый в список, требует разрешения, если экспортёр уведомлён или знает, что товар
предназначен для оружия массового уничтожения или для военного конечного использования в стране под оружейным
эмбарго. Поэтому таможенники оценивают **конечного пользователя и конечное использование**, а не только список.

## Товарная номенклатура и контрольные списки

Однозначного соответствия между **кодами ТН ВЭД** и позициями контрольных списков нет: одна товарная позиция может
включать как контролируемые, так и неконтролируемые товары. Таблицы соответствия помогают при отборе, но решают
технические характеристики.
"""

RADIATION_RU_RED_FLAGS = """\
## Роль таможни

Разрешения выдают органы экспортного контроля, а товары видят таможенники. Многие случаи незаконного
перенаправления товаров были выявлены на границе, потому что сотрудник заметил несоответствие.

## Признаки, связанные со сделкой

- Покупатель неохотно сообщает сведения о **конечном использовании** или конечном пользователе, либо заявленное
  использование не соответствует товару (пекарня заказывает пятиосевой обрабатывающий центр).
- Необычный **маршрут** через третьи страны или свободные зоны без коммерческих причин; частая смена
  грузополучателя.
- Оплата наличными или третьим лицом; цены на обычные товары значительно выше рыночных.
- Покупатель отказывается от монтажа, обучения или гарантии, которые нужны обычному заказчику.
- Недавно созданная компания без деловой истории или адрес, общий для множества других компаний.

## Признаки, связанные с товаром и документами

- Расплывчатое описание («запасные части», «промышленное оборудование») при коде ТН ВЭД, охватывающем
  контролируемые товары.
- Технические параметры указаны **чуть ниже порога контроля**.
- Удалены серийные номера или маркировка; упаковка не соответствует заявленному товару.
- Документы описывают товар более низкого технического уровня, чем обнаружен при досмотре.

## Порядок действий

| Ситуация | Действия |
|---|---|
| Товар в списке, разрешение не представлено | задержать товар, связаться с разрешительным органом |
| Товара нет в списке, но есть признаки риска | запросить разрешительный орган (catch-all) |
| Сомнения в классификации | техническая экспертиза; сфотографировать таблички и параметры |

Сохраняйте копии документов, фотографии и сведения обо всех участниках: дела по экспортному контролю часто
расследуются спустя месяцы.
"""

RADIATION_RU = CourseData(
    topic="radiation",
    language="ru",
    title="Радиационный контроль и товары двойного назначения на границе",
    summary=(
        "Выявление ядерных и других радиоактивных материалов в пунктах пропуска и контроль стратегических товаров "
        "(товаров двойного назначения). Стационарные системы радиационного контроля, единицы измерения и мощность "
        "дозы, действия при срабатывании, Вассенаарские договорённости и список ЕС по Регламенту (ЕС) 2021/821."
    ),
    tags="радиационный контроль, ядерная безопасность, товары двойного назначения, экспортный контроль",
    category="Radiation control and dual-use goods",
    visibility=Visibility.SHARED,
    shared_with=CENTRAL_ASIA,
    modules=(
        ModuleData(
            "Выявление радиоактивных материалов",
            (
                LessonData("Излучение, единицы измерения и мощность дозы", RADIATION_RU_UNITS),
                LessonData("Стационарные системы радиационного контроля и действия при срабатывании", RADIATION_RU_RPM),
            ),
        ),
        ModuleData(
            "Стратегические товары и экспортный контроль",
            (
                LessonData(
                    "Товары двойного назначения: Вассенаарские договорённости и Регламент (ЕС) 2021/821",
                    RADIATION_RU_DUAL_USE,
                ),
                LessonData("Индикаторы риска в торговле стратегическими товарами", RADIATION_RU_RED_FLAGS),
            ),
        ),
    ),
)


# --- Анализ рисков при таможенном оформлении (Russian) -------------------------------------------------------------

RISK_RU_CYCLE = """\
## Зачем нужно управление рисками

Ни одна таможенная служба не может проверить каждую партию товаров: крупный автомобильный пункт пропуска
обрабатывает тысячи деклараций в сутки. **Система управления рисками (СУР)** позволяет сосредоточить контроль там,
где нарушения наиболее вероятны и наиболее опасны, и быстро выпускать остальные товары. Этого требуют и
Пересмотренная Киотская конвенция (Генеральное приложение, глава 6), и Соглашение ВТО об упрощении процедур
торговли (статья 7.4).

## Цикл

Компендиум ВТамО по управлению рисками следует модели ISO 31000:

1. **Определение контекста**: цели службы, её полномочия и ресурсы.
2. **Выявление рисков**: что может пойти не так? Занижение таможенной стоимости, недостоверная классификация, ложное
   происхождение, контрабанда наркотиков, оружия или объектов СИТЕС, нарушение прав интеллектуальной
   собственности, стратегические товары.
3. **Анализ рисков**: для каждого риска — его **вероятность** и **последствия**.
4. **Оценка и ранжирование**: сравнение рисков между собой и с допустимым уровнем.
5. **Обработка рисков**: профили, отбор, досмотры, проверки после выпуска, а также информирование и упрощения для
   добросовестных участников ВЭД.
6. **Мониторинг и пересмотр**: сработали ли меры? Что показали проверки?

## Простая матрица рисков

| Вероятность / последствия | Незначительные | Умеренные | Тяжёлые |
|---|---|---|---|
| **Высокая** | средний | высокий | очень высокий |
| **Возможная** | низкий | средний | высокий |
| **Низкая** | низкий | низкий | средний |

Фискальный риск по товару с низкой ставкой пошлины может оцениваться как «возможный / незначительный», а
контрабанда прекурсоров синтетических наркотиков — как «возможный / тяжёлый»: такой риск требует профиля, даже
если случаи редки.

## Уровни

Управление рисками действует на **стратегическом** (годовые приоритеты), **оперативном** (профили, целевые
операции) и **тактическом** (решение сотрудника в момент контроля) уровнях. Наблюдения сотрудника питают два других
уровня.
"""

RISK_RU_INDICATORS = """\
## Что такое индикатор

**Индикатор риска** — конкретный проверяемый признак, который сам по себе или в сочетании с другими указывает на
повышенную вероятность нарушения. Хорошие индикаторы объективны, основаны на анализе прошлых случаев и регулярно
пересматриваются.

## Группы индикаторов

| Группа | Примеры |
|---|---|
| **Участник ВЭД** | новый импортёр без истории; частая смена декларанта; прежние нарушения; не является УЭО |
| **Товар** | высокие пошлины или акцизы; квоты и лицензии; товары, часто классифицируемые неверно |
| **Стоимость** | заявленная цена значительно ниже ценовой информации или стоимости идентичных товаров |
| **Происхождение и маршрут** | антидемпинговые пошлины; необычная перевалка; известные маршруты контрабанды |
| **Документы** | расхождения между инвойсом, упаковочным листом, транспортным документом и декларацией |
| **Транспорт** | новый перевозчик; транспортное средство или контейнер с историей нарушений; смена маршрута |

## Сочетание индикаторов

Один индикатор редко оправдывает досмотр. Новый импортёр — обычное явление; новый импортёр, декларирующий
брендовую электронику по трети обычной цены, с маршрутом через свободную зону и инвойсом в валюте, отличной от
валюты контракта, — это уже закономерность.

## Источники информации

- декларация и документы к ней, включая **предварительную информацию**, поданную до прибытия товаров;
- таможенные базы данных: прежние декларации, изъятия, проверки;
- базы ценовой информации;
- сведения других ведомств и иностранных таможенных служб (взаимная административная помощь);
- наблюдения сотрудников на границе.

## Ошибка, которой следует избегать

Индикаторы, основанные **только на гражданстве или этнической принадлежности** путешественника или участника ВЭД,
необъективны и дискриминационны; кроме того, они делают контроль предсказуемым. Стройте индикаторы на поведении,
товарах и документах.
"""

RISK_RU_CHANNELS = """\
## Селективность

В автоматизированной системе таможенного оформления каждая декларация проходит через **модуль селективности**
(например, в ASYCUDA World или в национальной системе), который сравнивает её с действующими профилями риска и
назначает **канал**:

| Канал | Контроль | Выпуск |
|---|---|---|
| **Зелёный** | без документального и физического контроля до выпуска | сразу после уплаты платежей |
| **Жёлтый** | документальный контроль декларации и документов | после проверки |
| **Красный** | документальный контроль и **таможенный досмотр** товаров | после досмотра |
| **Синий** (в некоторых системах) | выпуск сейчас, **проверка после выпуска** позже | сразу |

Пассажиры видят ту же логику в аэропортах: «зелёный коридор» — нечего декларировать, «красный коридор» — есть
товары, подлежащие декларированию.

## Баланс

Досмотр — медленная и дорогая процедура и для бизнеса, и для таможни. Службы со зрелой системой управления рисками
стремятся к небольшой доле деклараций в красном канале, часто в пределах нескольких процентов, при высокой
**результативности** (доле досмотров, выявивших нарушение). Высокая доля досмотров при низкой результативности
говорит о том, что профили слишком широки.

## Роль сотрудника

- Досмотр в красном канале — целевой: перед началом прочитайте **основание отбора** и первым делом проверьте риск,
  который сработал.
- Точно фиксируйте результат, в том числе **«нарушений не выявлено»**: именно на этих данных учатся профили.
- Сотрудник может остановить и партию из зелёного канала при **обоснованном подозрении**, возникшем из наблюдений на
  границе, в порядке, установленном национальным законодательством, и обязан доложить о причинах.
"""

RISK_RU_PROFILES = """\
## Профили риска

**Профиль риска** объединяет индикаторы в правило, которое система оформления применяет автоматически, например:

> Товарная позиция 8517 (телефонные аппараты) **и** заявленная стоимость единицы товара ниже индикативной цены более
> чем на 40 % **и** импортёр зарегистрирован менее 12 месяцев назад: **жёлтый канал**, проверка таможенной
> стоимости.

Каждый профиль должен содержать:

- **описание** риска и данных, на которых он основан;
- **ответственного** в подразделении анализа рисков;
- **срок действия** и дату пересмотра;
- **указания по контролю** для сотрудника: что проверить и как зафиксировать результат.

## Случайный отбор

Небольшая доля деклараций отбирается **случайным образом**, независимо от профилей. Результаты случайного отбора
показывают реальный уровень соблюдения законодательства, выявляют риски, не охваченные профилями, и сохраняют
непредсказуемость отбора для контрабандистов.

## Обратная связь и оценка

| Показатель | О чём говорит |
|---|---|
| Результативность каждого профиля | насколько точно профиль ещё работает |
| Доля каждого канала | нагрузка на бизнес и на досмотровые группы |
| Результаты случайных проверок | уровень соблюдения законодательства во всём потоке |
| Время выпуска | влияние контроля на упрощение торговли |

Профили с устойчиво низкой результативностью пересматриваются или отключаются; новые изъятия и оперативная
информация порождают новые профили. Без обратной связи от сотрудников, проводящих досмотры, система селективности
постепенно начинает «ловить прошлое».

## Уполномоченные экономические операторы

Участники ВЭД, получившие статус **уполномоченного экономического оператора (УЭО)** в соответствии с Рамочными
стандартами безопасности ВТамО (SAFE), подтвердили соблюдение требований и безопасность своих цепей поставок. Их
контролируют реже, что высвобождает ресурсы для неизвестных и высокорисковых потоков.
"""

RISK_RU = CourseData(
    topic="risk",
    language="ru",
    title="Анализ рисков при таможенном оформлении",
    summary=(
        "Как таможенные органы решают, какие партии товаров проверять и насколько глубоко, не останавливая "
        "законную торговлю. Цикл управления рисками, индикаторы и профили риска, каналы селективности и обратная "
        "связь, благодаря которой отбор остаётся эффективным."
    ),
    tags="управление рисками, анализ рисков, СУР, селективность, таможенное оформление, профили риска",
    category="Risk analysis",
    visibility=Visibility.SHARED,
    shared_with=CENTRAL_ASIA,
    modules=(
        ModuleData(
            "Управление рисками в таможенном деле",
            (
                LessonData("Цикл управления рисками", RISK_RU_CYCLE),
                LessonData("Индикаторы риска", RISK_RU_INDICATORS),
            ),
        ),
        ModuleData(
            "Селективность и отбор",
            (
                LessonData("Каналы селективности: зелёный, жёлтый и красный", RISK_RU_CHANNELS),
                LessonData("Профили риска, случайный отбор и обратная связь", RISK_RU_PROFILES),
            ),
        ),
    ),
)


# --- Идентификация и профилирование (Russian) ----------------------------------------------------------------------

PROFILING_RU_BEHAVIOUR = """\
## Проверка на первой линии

На первой линии у сотрудника в среднем гораздо меньше минуты на одного путешественника. За это время он проверяет
документ, человека и их соответствие друг другу и решает, нужна ли проверка на **второй линии**. Поведение — лишь
один из нескольких источников информации.

## Поведенческие индикаторы

Поведение имеет значение только **в сравнении с нормой**: как ведут себя другие путешественники в той же очереди,
пассажиры того же рейса или автобуса? Ищите **изменения** и **сочетания** признаков, а не отдельные сигналы.

- **До кабины**: наблюдение за сотрудниками, переход из очереди в очередь, попытки пропустить других вперёд,
  ожидание определённого сотрудника или смены наряда.
- **У кабины**: заминка при ответе на простые вопросы (фамилия, дата рождения, пункт назначения); заученные или
  чрезмерно подробные ответы; взгляд на спутника перед ответом.
- **Физиологические признаки**: реакции стресса, несоразмерные ситуации (дрожь в руках, учащённое дыхание, сильное
  потоотделение в прохладном зале); но помните об усталости, страхе перед властями и болезнях.
- **Несоответствия**: рассказ не согласуется с билетом, багажом, деньгами, одеждой или отметками в документе.

## Что не является индикатором

- Взгляд, тон голоса и жестикуляция сильно различаются **в разных культурах**; сами по себе они не являются
  индикаторами.
- Волнение на границе — нормальная реакция. Большинство нервничающих путешественников честны.

## Решение

| Наблюдение | Действие |
|---|---|
| Один слабый признак, последовательный рассказ | завершить проверку и пропустить |
| Несколько признаков или несоответствие | задать дополнительные вопросы |
| Неустранённое несоответствие, сомнения в документе | направить на вторую линию, указать причину |
"""

PROFILING_RU_INTERVIEW = """\
## Цель

Опрос на первой линии подтверждает **цель и условия пребывания** и даёт сотруднику материал для сравнения с
документами и поведением. Это беседа, а не допрос.

## Техника

- Поприветствуйте путешественника, сохраняйте спокойный и нейтральный тон, держитесь корректно.
- Начинайте с **открытых вопросов**: *«Какова цель вашей поездки?»*, *«Где вы остановитесь?»* Открытые вопросы
  побуждают человека говорить, а заученная легенда обнаруживает свои границы при естественных уточняющих вопросах.
- Затем задавайте **закрытые вопросы**, чтобы уточнить детали: даты, имена, адреса, суммы.
- Используйте схему **«5W+H»**: кто, что, где, когда, почему и как.
- **Слушайте активно**: дайте человеку договорить, отмечайте противоречия, не указывая на них сразу.
- Сверяйте ответы с **объективными данными**: билет, бронь гостиницы, приглашение, средства к существованию,
  прежние отметки, история поездок в информационных системах.

## Примеры

| Неудачный вопрос | Лучше спросить |
|---|---|
| «Вы турист?» | «Чем вы планируете заниматься во время поездки?» |
| «У вас достаточно денег?» | «Как вы будете оплачивать своё пребывание?» |
| «Это ваша сумка?» | «Кто упаковывал ваш багаж?» |

## Язык и перевод

Если путешественник не понимает языка сотрудника, не используйте в качестве переводчика его спутника: возможно,
именно спутник контролирует путешественника. На второй линии привлеките официального переводчика или службу
телефонного перевода.

## Запись

Фиксируйте вопросы и ответы, на основании которых человек направлен на вторую линию. Сотрудник второй линии, а
впоследствии, возможно, и суд должны понимать, почему было принято такое решение.
"""

PROFILING_RU_FACES = """\
## Проблема самозванцев

**Самозванец** (импостер) пользуется подлинным документом другого, похожего на него человека. Документ проходит все
технические проверки, и обман раскрывает только сравнение лица с фотографией. Использование чужих документов — одна
из самых распространённых форм документного мошенничества на внешних границах.

## Сравнение лиц

Сравнивайте **признаки, которые не меняются** или мало меняются с возрастом, весом, причёской и макияжем:

| Признак | Что сравнивать |
|---|---|
| **Ушная раковина** | форма завитка и мочки (приращённая или свободная), пропорции |
| **Нос** | форма спинки, кончика и крыльев носа |
| **Глаза** | расстояние между глазами, форма век |
| **Рот** | ширина, форма губ, положение уголков рта |
| **Лицо в целом** | пропорции лба, средней и нижней части лица; форма подбородка |
| **Особые приметы** | шрамы, родинки, асимметрия |

Идите **от общего к частному**: сначала общие пропорции, затем отдельные признаки. При необходимости попросите снять
очки или головной убор в соответствии с национальными правилами и с уважением к религиозным обычаям (сотрудник того
же пола, отдельное помещение).

## Другие признаки самозванца

- Предъявитель не знает данных «своего» документа: даты рождения, места выдачи, подписи.
- Подпись, выполненная при проверке, не совпадает с подписью в документе.
- Возраст по внешности не соответствует дате рождения.
- История поездок и отметки не соответствуют рассказу путешественника.

## Технологии

Микросхема электронного паспорта содержит фотографию владельца (**DG2**); автоматизированные системы пограничного
контроля сравнивают её с изображением, полученным камерой. Биометрическое сравнение помогает, но пороги допускают
ошибки в обе стороны. Если система направила путешественника к сотруднику, решение принимает сотрудник.
"""

PROFILING_RU_RIGHTS = """\
## Законное профилирование

**Профилирование** — это использование набора характеристик, выявленных при анализе прошлых случаев, для отбора лиц
на углублённую проверку. Это законный и необходимый инструмент, если характеристики **объективны, обоснованы и
регулярно пересматриваются**: маршруты поездок, особенности приобретения билетов, виды документов, поведение,
информация подразделений анализа рисков.

## Дискриминационное профилирование

Отбор людей **только или главным образом** по признаку этнического происхождения, цвета кожи, религии, языка или
гражданства — это **дискриминационное профилирование**. Оно незаконно по международному праву в области прав
человека и по законодательству большинства государств. Кроме того, оно неэффективно: проверки тратятся на
невиновных, а преступникам его легко обойти.

Кодекс о шенгенских границах (статья 7) обязывает пограничников уважать человеческое достоинство и не допускать
дискриминации по признаку пола, расового или этнического происхождения, религии или убеждений, инвалидности,
возраста или сексуальной ориентации. Практические примеры приводятся в руководствах Агентства ЕС по основным правам
(FRA) и ОБСЕ.

## Проверка каждого решения

Спросите себя:

1. Какое **конкретное наблюдение** заставило меня выбрать этого человека?
2. Выбрал бы я путешественника другого происхождения с **таким же поведением** и такими же документами?
3. Могу ли я **письменно изложить** причину так, чтобы её принял руководитель?

Если ответ на второй вопрос — «нет», решение не было основано на объективных индикаторах.

## Профессиональное поведение

- Объясните путешественнику, почему нужна дополнительная проверка, насколько позволяет ситуация.
- Проводите проверку не дольше, чем требует её цель.
- Относитесь к каждому путешественнику одинаково вежливо: уважительное обращение повышает готовность отвечать.
"""

PROFILING_RU = CourseData(
    topic="profiling",
    language="ru",
    title="Идентификация и профилирование при пограничных проверках",
    summary=(
        "Пограничный контроль лиц на первой линии: как оценивать поведение, проводить короткий опрос и принимать "
        "решение о направлении на вторую линию, как установить, что предъявитель — законный владелец документа. "
        "Профилирование на основе объективных индикаторов с соблюдением основных прав человека."
    ),
    tags="пограничный контроль, профилирование, поведенческие индикаторы, опрос, самозванцы, идентификация личности",
    category="Identification and profiling",
    modules=(
        ModuleData(
            "Проверка на первой линии",
            (
                LessonData("Поведенческие индикаторы на первой линии", PROFILING_RU_BEHAVIOUR),
                LessonData("Короткий опрос", PROFILING_RU_INTERVIEW),
            ),
        ),
        ModuleData(
            "Идентификация личности",
            (
                LessonData("Сравнение лица с фотографией и самозванцы", PROFILING_RU_FACES),
                LessonData("Профилирование и основные права человека", PROFILING_RU_RIGHTS),
            ),
        ),
    ),
)


# --- Помощь уязвимым мигрантам (Russian) ---------------------------------------------------------------------------

MIGRANTS_RU_VULNERABILITY = """\
## Уязвимость — это ситуация

Мигрант уязвим не из-за «ярлыка», а из-за **ситуации**: личных особенностей в сочетании с обстоятельствами, которые
подвергают его опасности. Один и тот же человек может быть в безопасности в одних условиях и в серьёзной опасности —
в других.

Группы, которые сотрудники пограничной службы чаще всего встречают в уязвимом положении:

- **несопровождаемые и разлучённые дети**;
- **жертвы торговли людьми** и лица, подверженные риску стать ими;
- лица, нуждающиеся в **международной защите** (лица, ищущие убежища, и беженцы);
- беременные женщины, тяжелобольные, лица с инвалидностью, пожилые люди;
- жертвы **пыток**, изнасилования или иного тяжкого насилия, в том числе пережитого в пути;
- лица, подвергающиеся опасности из-за своей сексуальной ориентации или гендерной идентичности.

## Обязанности сотрудника

Сотрудник пограничной службы часто оказывается **первым представителем государства**, которого встречает уязвимый
мигрант. Он не обязан устанавливать статус беженца или доказывать состав преступления торговли людьми. Он должен:

1. **заметить** признаки уязвимости;
2. оказать или вызвать **неотложную помощь**: медицинская помощь, вода, питание, укрытие;
3. обеспечить **доступ к процедурам**: убежище, защита детей, помощь жертвам;
4. **направить** человека в компетентный орган или организацию;
5. **зафиксировать** принятые меры.

## Принцип невыдворения (non-refoulement)

Никто не может быть возвращён в страну, где ему угрожают преследование, пытки или бесчеловечное либо унижающее
достоинство обращение (Конвенция о статусе беженцев 1951 года, статья 33; Конвенция ООН против пыток, статья 3).
Человек, который выражает страх перед возвращением, даже простыми словами и не произнося слова «убежище», должен
получить доступ к процедуре предоставления убежища.
"""

MIGRANTS_RU_TRAFFICKING = """\
## Два разных преступления

| | **Торговля людьми** | **Незаконный ввоз мигрантов** |
|---|---|---|
| Правовая основа | Протокол ООН о торговле людьми (Палермо, 2000) | Протокол ООН против незаконного ввоза мигрантов |
| Согласие | отсутствует или получено обманом либо принуждением | мигрант соглашается на ввоз |
| Пересечение границы | не обязательно; возможно внутри страны | всегда незаконное пересечение границы |
| Отношения | эксплуатация продолжается после прибытия | обычно заканчиваются по прибытии |
| Потерпевший | человек | государство (нарушение пограничного режима) |

На практике эти явления пересекаются: мигрант, которого незаконно ввезли и который не может выплатить долг
перевозчикам, может стать жертвой торговли людьми.

## Определение торговли людьми

Палермский протокол определяет торговлю людьми через три элемента:

1. **Действие**: вербовка, перевозка, передача, укрывательство или получение людей;
2. **Способ**: угроза силой или её применение, принуждение, похищение, мошенничество, обман, злоупотребление властью
   или **уязвимостью положения**, подкуп лица, контролирующего другое лицо;
3. **Цель**: эксплуатация, включая сексуальную эксплуатацию, принудительный труд или услуги, рабство, подневольное
   состояние или извлечение органов.

Для **детей** (лиц моложе 18 лет) способ значения не имеет: достаточно действия, совершённого с целью эксплуатации.
**Согласие** жертвы на эксплуатацию не принимается во внимание, если был использован любой из указанных способов.

## Почему это важно на границе

Жертва торговли людьми может пересекать границу **законно**, с подлинными документами и действительной визой, на
пути к эксплуатации. Пограничная проверка — один из немногих моментов, когда человек на несколько минут выходит
из-под контроля торговца людьми, и внимание сотрудника может всё изменить.
"""

MIGRANTS_RU_INDICATORS = """\
## Индикаторы на границе

Ни один индикатор сам по себе не доказывает торговлю людьми. Несколько индикаторов вместе — основание для более
подробной беседы наедине.

**Сам человек**

- не держит при себе собственный паспорт или билет: их держит спутник, который и отвечает за него;
- не может сказать, куда едет, кто его работодатель и в чём заключается работа;
- получил слишком выгодное предложение работы (высокая оплата без квалификации), часто за рубежом — танцовщицей,
  моделью, няней, строителем, сельскохозяйственным рабочим;
- имеет крупный **долг** за дорогу или трудоустройство;
- выглядит испуганным, встревоженным, подавленным или имеет следы насилия;
- рассказывает заученную историю, одинаковую с другими путешественниками из группы;
- является несовершеннолетним и путешествует со взрослым, который не является родителем и не имеет доверенности.

**Спутник или группа**

- один человек распоряжается документами, деньгами и билетами нескольких путешественников;
- спутник настаивает на своём присутствии во время проверки и перебивает;
- билеты купило третье лицо, часто в одну сторону и незадолго до отправления.

## Как говорить с возможной жертвой

| Следует | Не следует |
|---|---|
| спокойно отделить человека от спутника как обычную процедуру | выяснять отношения со спутником при человеке |
| беседовать в отдельном помещении, по возможности с сотрудником того же пола | расспрашивать о подробностях насилия |
| привлечь независимого переводчика | использовать спутника как переводчика |
| объяснить, кто вы и какая помощь существует | обещать то, что вы не можете гарантировать |

Жертвы часто не считают себя жертвами и могут бояться властей больше, чем торговцев людьми. Первая беседа редко
приводит к признанию, но может дать человеку номер телефона и возможность выхода из ситуации.
"""

MIGRANTS_RU_REFERRAL = """\
## Национальные механизмы перенаправления

**Национальный механизм перенаправления (НМП)**, как он описан в практическом руководстве БДИПЧ ОБСЕ, — это система
взаимодействия государственных органов и гражданского общества для выявления жертв торговли людьми и защиты их
прав. На границе он принимает форму **порядка перенаправления**: кому звонить, в какой последовательности и какую
информацию передавать.

## Последовательность действий

1. **Безопасность прежде всего**: отделите человека от предполагаемых торговцев людьми и при необходимости окажите
   медицинскую помощь.
2. **Проинформируйте** человека на понятном ему языке о его правах и доступной помощи.
3. **Вызовите уполномоченное подразделение**: подразделение полиции по борьбе с торговлей людьми, орган опеки и
   попечительства — для несовершеннолетних, миграционный орган — при обращении за убежищем.
4. **Свяжитесь с партнёрской организацией**, указанной в НМП, например с приютом или офисом МОМ.
5. **Зафиксируйте** выявленные индикаторы и принятые меры и передайте запись принимающему подразделению.

## Права предполагаемых жертв

- **Период восстановления и размышления**, в течение которого человек не подлежит выдворению и может решить,
  сотрудничать ли с властями (Конвенция Совета Европы о противодействии торговле людьми, статья 13: не менее
  30 дней).
- **Ненаказание**: жертвы не должны нести ответственность за правонарушения, к совершению которых их принудили,
  например за использование поддельного документа.
- Помощь: жильё, медицинская и психологическая помощь, юридическая консультация, переводчик.

## Дети

Для несопровождаемого или разлучённого ребёнка на первом месте — **наилучшие интересы ребёнка** (Конвенция ООН о
правах ребёнка, статья 3). Немедленно сообщите в орган опеки и попечительства; ребёнку должен быть назначен опекун.
Если возраст вызывает сомнения, считайте человека ребёнком до проведения оценки возраста. Практические рекомендации
в отношении детей в аэропортах содержит **Справочник VEGA** агентства Фронтекс.

## Позаботьтесь о себе

Дела, связанные с торговлей людьми и детьми, — тяжёлая нагрузка. Пользуйтесь разбором ситуаций и психологической
поддержкой, которые предоставляет ваша служба.
"""

MIGRANTS_RU = CourseData(
    topic="migrants",
    language="ru",
    title="Помощь уязвимым мигрантам на границе",
    summary=(
        "Как сотрудники пограничной службы выявляют мигрантов в уязвимом положении, в том числе жертв торговли "
        "людьми и несопровождаемых детей, и направляют их в соответствующие службы защиты. На основе Палермского "
        "протокола, принципа невыдворения и национальных механизмов перенаправления."
    ),
    tags="права человека, уязвимые мигранты, торговля людьми, дети, перенаправление",
    category="Vulnerable migrants",
    visibility=Visibility.SHARED,
    shared_with=CENTRAL_ASIA,
    modules=(
        ModuleData(
            "Кто находится в уязвимом положении",
            (
                LessonData("Мигранты в уязвимом положении", MIGRANTS_RU_VULNERABILITY),
                LessonData("Торговля людьми и незаконный ввоз мигрантов: в чём разница", MIGRANTS_RU_TRAFFICKING),
            ),
        ),
        ModuleData(
            "Выявление и перенаправление",
            (
                LessonData("Индикаторы торговли людьми", MIGRANTS_RU_INDICATORS),
                LessonData("Перенаправление и защита на границе", MIGRANTS_RU_REFERRAL),
            ),
        ),
    ),
)


# --- Пересмотренная Киотская конвенция (Russian) -------------------------------------------------------------------

KYOTO_RU_HISTORY = """\
## История

**Международная конвенция об упрощении и гармонизации таможенных процедур** была принята Советом таможенного
сотрудничества (ныне **Всемирная таможенная организация**, ВТамО) в Киото в **1973 году** и вступила в силу в
1974 году. Она дала таможенным службам общий набор процедур, но к 1990-м годам перестала соответствовать
современной торговле: электронный обмен данными, экспресс-перевозки, логистика «точно в срок», контроль на основе
оценки рисков.

Совет ВТамО принял **Протокол о внесении изменений** в Брюсселе в **июне 1999 года**. Обновлённый текст, известный
как **Пересмотренная Киотская конвенция (ПКК)**, вступил в силу **3 февраля 2006 года**, после того как к нему
присоединились 40 договаривающихся сторон. Сегодня договаривающимися сторонами являются более ста таможенных
территорий.

## Цели

ПКК направлена на то, чтобы таможенные процедуры были:

- **простыми** — без лишних формальностей;
- **гармонизированными** — с одинаковыми процедурами и определениями у всех договаривающихся сторон;
- **предсказуемыми и прозрачными** — с опубликованными нормами, предварительными решениями, правом обжалования;
- **современными** — с максимальным использованием информационных технологий и управления рисками;
- **эффективными для контроля** — с сосредоточением контроля там, где риск наиболее высок.

## Значение для сотрудника

ПКК часто называют **«чертежом» современной таможни**. Многие национальные таможенные кодексы, в том числе
Таможенный кодекс Евразийского экономического союза и Таможенный кодекс Союза (ЕС), следуют её определениям и
принципам. Знание ПКК помогает понять, *почему* национальные процедуры устроены именно так, и объяснить их
участникам ВЭД.

## Связь с другими документами

**Соглашение ВТО об упрощении процедур торговли** (заключено в 2013 году, действует с 2017 года) сделало ряд
принципов ПКК обязательными в рамках права ВТО: публикация информации, предварительные решения, обработка
документов до прибытия товаров, управление рисками, проверка после выпуска, уполномоченные операторы.
"""

KYOTO_RU_STRUCTURE = """\
## Составные части

| Часть | Содержание | Обязательность |
|---|---|---|
| **Основной текст** | преамбула, определения, сфера применения, управление, присоединение, оговорки | для всех сторон |
| **Генеральное приложение** | 10 глав об основных принципах и процедурах | полностью; **оговорки не допускаются** |
| **Специальные приложения** | 10 приложений (A–K) об отдельных процедурах, разделённых на главы | только принятые |
| **Руководящие принципы** | разъяснения и передовая практика по каждому приложению | не входят в правовой текст |

## Главы Генерального приложения

1. Общие принципы
2. Определения
3. Таможенное оформление и другие таможенные формальности
4. Пошлины и налоги
5. Обеспечение (гарантии уплаты)
6. Таможенный контроль
7. Применение информационных технологий
8. Отношения между таможенными органами и третьими сторонами
9. Информация, решения и постановления, предоставляемые таможенными органами
10. Обжалование по таможенным вопросам

## Специальные приложения

| Приложение | Предмет |
|---|---|
| A | Прибытие товаров на таможенную территорию |
| B | Ввоз |
| C | Вывоз |
| D | Таможенные склады и свободные зоны |
| E | Транзит |
| F | Переработка |
| G | Временный ввоз |
| H | Таможенные правонарушения |
| J | Специальные процедуры: пассажиры, почтовые отправления, гуманитарные грузы и другие |
| K | Происхождение |

Договаривающаяся сторона обязана принять основной текст и Генеральное приложение; она может принять **любое число**
Специальных приложений или глав в них — при присоединении или позднее.

## Административный комитет

**Административный комитет ПКК**, состоящий из договаривающихся сторон, следит за применением Конвенции, предлагает
поправки и утверждает Руководящие принципы.
"""

KYOTO_RU_LINK = """\
ВТамО публикует текст Пересмотренной Киотской конвенции: основной текст, Генеральное приложение и Специальные
приложения, а также Руководящие принципы и актуальный список договаривающихся сторон. До следующего модуля изучите
главы 3 и 6 Генерального приложения.
"""

KYOTO_RU_PROVISIONS = """\
## Три вида положений

| Положение | Где | Обязательство | Срок для стороны |
|---|---|---|---|
| **Стандарт** | Генеральное и Специальные приложения | подлежит применению | **36 месяцев** |
| **Переходный стандарт** | только Генеральное приложение | подлежит применению, срок больше | **60 месяцев** |
| **Рекомендуемая практика** | Специальные приложения | применяется по возможности | нет; допускаются оговорки |

**Стандарт** — положение, применение которого признано необходимым для гармонизации и упрощения таможенных
процедур. **Переходный стандарт** — стандарт, для применения которого допускается более длительный срок, обычно
потому, что он требует изменений законодательства или технических мер, например автоматизации. **Рекомендуемая
практика** желательна; сторона, которая не может её применять, вправе заявить **оговорку**, указав причины, и
пересматривать её не реже одного раза в три года. Сроки исчисляются с даты вступления приложения или главы в силу
для данной стороны.

## Примеры из Генерального приложения

- **Стандарт 3.11**: содержание декларации на товары определяет таможня; бумажная форма основана на
  формуляре-образце ООН, электронная — на международных стандартах обмена данными.
- **Переходный стандарт 3.32**: для уполномоченных лиц, отвечающих установленным таможней критериям, — выпуск при
  представлении минимальных сведений, выпуск в помещениях декларанта, периодическая декларация и самостоятельный
  расчёт платежей.
- **Стандарт 6.2**: таможенный контроль ограничивается необходимым для обеспечения соблюдения таможенного
  законодательства.
- **Стандарт 6.3**: при проведении таможенного контроля таможенные органы используют управление рисками.
- **Стандарт 6.4**: таможенные органы используют анализ рисков, чтобы определить, какие лица и товары подлежат
  проверке и в каком объёме.

## Как читать нумерацию

Положения нумеруются по главам: *стандарт 6.3* — третье положение главы 6. В Специальных приложениях номер
относится к главе приложения, например Специальное приложение E, глава 1 (таможенный транзит).

## Национальное законодательство

ПКК не применяется к участникам ВЭД напрямую: она обязывает договаривающуюся сторону привести **национальное
законодательство** в соответствие с ней. Сотрудник применяет национальный таможенный кодекс, и именно в нём
стандарты ПКК становятся конкретными нормами.
"""

KYOTO_RU_PRINCIPLES = """\
## Принципы

ВТамО выделяет следующие ключевые принципы Конвенции, изложенные в её преамбуле и Генеральном приложении:

- **прозрачность и предсказуемость** действий таможенных органов;
- **стандартизация и упрощение** декларации на товары и подтверждающих документов;
- **упрощённые процедуры для уполномоченных лиц**;
- **максимальное использование информационных технологий**;
- **минимально необходимый таможенный контроль** для обеспечения соблюдения законодательства;
- применение **управления рисками** и **контроля на основе аудита**;
- **согласованные действия** с другими пограничными ведомствами;
- **партнёрство с деловым сообществом**.

## На практике

| Принцип | Как это выглядит в пункте пропуска |
|---|---|
| Прозрачность | опубликованные процедуры, сборы и часы работы; предварительные решения по классификации |
| Информационные технологии | электронные декларации, подаваемые до прибытия товаров; электронная оплата |
| Управление рисками | большинство деклараций выпускается по зелёному каналу; целевые досмотры |
| Контроль на основе аудита | проверка учёта компании после выпуска вместо задержки товаров на границе |
| Согласованные действия | совместный осмотр грузовика таможней, пограничниками и ветеринарной службой |
| Обжалование (глава 10) | участник ВЭД обжалует решение сначала в таможне, затем в независимом органе |

## Глава 10: право на обжалование

Любое лицо, непосредственно затронутое решением или бездействием таможенного органа, имеет **право на
обжалование**. По запросу таможня излагает основания своего решения, а порядок обжалования устанавливается
национальным законодательством. Для сотрудника это означает: каждое решение должно быть **обоснованным и
задокументированным**.

## Глава 9: информация и решения

Таможенные органы обязаны обеспечивать доступность информации о законодательстве, процедурах и ставках и по запросу
заинтересованного лица принимать **предварительные решения**, если это предусмотрено национальным
законодательством. Точная информация у окна оформления — часть работы сотрудника, а не одолжение.
"""

KYOTO_RU = CourseData(
    topic="kyoto",
    language="ru",
    title="Пересмотренная Киотская конвенция: структура и применение",
    summary=(
        "Международная конвенция об упрощении и гармонизации таможенных процедур в редакции 1999 года: основной "
        "текст, Генеральное и Специальные приложения, юридическая сила стандартов, переходных стандартов и "
        "рекомендуемой практики, ключевые принципы современных таможенных процедур."
    ),
    tags="Пересмотренная Киотская конвенция, ВТамО, таможенные процедуры, упрощение процедур торговли",
    category="Customs procedures and conventions",
    academy="tashkent",
    visibility=Visibility.SHARED,
    shared_with=("rezekne", "bishkek", "dushanbe", "almaty"),
    enrol_key="KYOTO2026",
    modules=(
        ModuleData(
            "Структура Конвенции",
            (
                LessonData("От Киото-1973 к Пересмотренной конвенции", KYOTO_RU_HISTORY),
                LessonData("Основной текст, Генеральное и Специальные приложения", KYOTO_RU_STRUCTURE),
                LessonData(
                    "ВТамО: текст Пересмотренной Киотской конвенции",
                    KYOTO_RU_LINK,
                    kind=LessonKind.LINK,
                    url=WCO_RKC_URL,
                ),
            ),
        ),
        ModuleData(
            "Основные положения",
            (
                LessonData("Стандарты, переходные стандарты и рекомендуемая практика", KYOTO_RU_PROVISIONS),
                LessonData("Ключевые принципы Генерального приложения", KYOTO_RU_PRINCIPLES),
            ),
        ),
    ),
)


# English and Russian versions side by side, in the order they are created.
COURSES: tuple[CourseData, ...] = (
    DOCUMENTS_EN,
    DOCUMENTS_RU,
    XRAY_EN,
    XRAY_RU,
    RADIATION_EN,
    RADIATION_RU,
    RISK_EN,
    RISK_RU,
    PROFILING_EN,
    PROFILING_RU,
    MIGRANTS_EN,
    MIGRANTS_RU,
    KYOTO_EN,
    KYOTO_RU,
)
