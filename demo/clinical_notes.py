"""A few hundred short, synthetic clinical-style notes written for the demo (no real patients).

Each note has a topic, so the demo and the tests can check that a search ranks the right
notes first.
"""

import itertools

TOPICS = {
    "cardiac": [
        "crushing chest pain radiating to the left arm, diaphoretic, troponin elevated",
        "substernal chest pressure on exertion relieved by rest, suspected angina",
        "ST elevation in anterior leads, taken to the cath lab for acute myocardial infarction",
        "palpitations and irregularly irregular pulse, ECG shows atrial fibrillation",
    ],
    "respiratory": [
        "productive cough with fever and right lower lobe consolidation on chest x-ray, pneumonia",
        "wheezing and shortness of breath after exposure to cold air, asthma exacerbation",
        "chronic smoker with worsening dyspnea and sputum, COPD flare treated with steroids",
        "low oxygen saturation, bilateral infiltrates, started on supplemental oxygen",
    ],
    "diabetes": [
        "blood glucose 320 mg/dL with polyuria and polydipsia, HbA1c 10.2 percent",
        "type 2 diabetes on metformin, counselled on diet and insulin titration",
        "diabetic ketoacidosis with vomiting, anion gap acidosis, insulin infusion started",
        "numbness in both feet consistent with diabetic peripheral neuropathy",
    ],
    "orthopedic": [
        "fell on outstretched hand, wrist swelling, x-ray shows distal radius fracture",
        "twisted knee playing football, MRI confirms anterior cruciate ligament tear",
        "chronic lower back pain radiating down the leg, lumbar disc herniation suspected",
        "hip fracture after a fall at home, scheduled for surgical repair",
    ],
    "neurology": [
        "sudden left-sided weakness and facial droop, CT negative for bleed, stroke protocol",
        "recurrent throbbing unilateral headache with aura and photophobia, migraine",
        "witnessed generalized tonic-clonic seizure, postictal confusion, started levetiracetam",
        "progressive memory loss over two years, family reports getting lost, dementia workup",
    ],
    "dermatology": [
        "itchy red scaly plaques on elbows and knees, psoriasis",
        "changing pigmented mole with irregular border, referred for melanoma biopsy",
        "vesicular painful rash in a dermatomal band on the trunk, herpes zoster",
        "acne vulgaris with comedones and pustules on the face, topical retinoid prescribed",
    ],
    "gastro": [
        "right lower quadrant abdominal pain with rebound tenderness, appendicitis suspected",
        "burning epigastric pain after meals, improved with proton pump inhibitor, reflux",
        "bloody diarrhea and cramping for three weeks, colonoscopy shows ulcerative colitis",
        "jaundice and right upper quadrant pain after fatty meals, gallstones on ultrasound",
    ],
    "renal": [
        "severe colicky flank pain radiating to the groin with hematuria, kidney stone",
        "rising creatinine and reduced urine output, acute kidney injury after dehydration",
        "burning urination and urinary frequency, urinalysis positive for nitrites, UTI",
        "chronic kidney disease stage 4, discussed dialysis planning",
    ],
    "psychiatry": [
        "low mood, anhedonia and poor sleep for two months, major depressive disorder",
        "panic attacks with racing heart and fear of dying, generalized anxiety",
        "auditory hallucinations and paranoid thoughts, first episode psychosis",
        "alcohol use disorder with withdrawal tremor, started on benzodiazepine taper",
    ],
    "pediatric": [
        "toddler with high fever and ear pulling, red bulging eardrum, otitis media",
        "infant with barking cough and stridor at night, croup treated with dexamethasone",
        "child with itchy vesicles in crops all over the body, chickenpox",
        "school-age child with inattention and hyperactivity, ADHD evaluation",
    ],
}

PATIENTS = ["54-year-old man", "67-year-old woman", "23-year-old woman", "41-year-old man", "78-year-old man",
            "35-year-old woman", "60-year-old woman", "12-year-old boy"]
SETTINGS = ["Seen in the emergency department.", "Clinic follow-up visit.", "Admitted to the ward."]


def notes():
    """[(topic, text)] — 10 topics x 4 findings x 8 patients = 320 notes, deterministic."""
    out = []
    for topic, findings in TOPICS.items():
        for (i, finding), patient in itertools.product(enumerate(findings), PATIENTS):
            setting = SETTINGS[(len(out) + i) % len(SETTINGS)]
            out.append((topic, "%s: %s. %s" % (patient.capitalize(), finding, setting)))
    return out


SEARCHES = [
    ("heart attack with chest pain", "cardiac"),
    ("trouble breathing and lung infection", "respiratory"),
    ("high blood sugar", "diabetes"),
    ("broken bone", "orthopedic"),
]
