"""A few hundred short, synthetic clinical-style notes written for the demo (no real patients).

Each note has a topic, so the demo and the tests can check that a search ranks the right
notes first. Notes read like real ones: each topic has many findings, phrased in several
ways (full sentences, clipped HPI style, abbreviations), with details that vary (vitals,
labs, plans), and the topics share vocabulary on purpose: chest pain is cardiac, but also
reflux, pneumonia and a rib fracture; "radiating down the leg" is a disc and not a stroke;
"denies chest pain" appears in notes about other things. These near-misses make retrieval
work for its ranking, and give a reranker something to reorder.
"""

import itertools

FINDINGS = {
    "cardiac": [
        "crushing chest pain radiating to the left arm, diaphoretic, troponin elevated",
        "substernal chest pressure on exertion relieved by rest, suspected stable angina",
        "STEMI in the anterior leads, taken emergently to the cath lab",
        "palpitations and an irregularly irregular pulse, ECG shows atrial fibrillation",
        "c/o tightness in the chest and jaw while shovelling snow, serial troponins rising, NSTEMI",
        "bilateral ankle edema, orthopnea and crackles at the bases, heart failure exacerbation",
        "syncope on exertion with a harsh systolic murmur, echo shows severe aortic stenosis",
        "follow-up after stent placement for a heart attack last month, no further chest pain",
    ],
    "respiratory": [
        "productive cough with fever and right lower lobe consolidation on chest x-ray, pneumonia",
        "wheezing and shortness of breath after exposure to cold air, asthma exacerbation",
        "longtime smoker with worsening dyspnea and sputum, COPD flare treated with steroids",
        "low oxygen saturation, bilateral infiltrates, started on supplemental oxygen",
        "sharp chest pain worse on deep breathing with fever and cough, pleuritic pain from pneumonia",
        "sudden breathlessness and tachycardia after a long flight, CT angiogram shows pulmonary embolism",
        "dry cough for six weeks, night sweats and weight loss, sputum sent for tuberculosis",
        "SOB and audible wheeze, peak flow 55 percent of predicted, nebulised salbutamol given",
    ],
    "diabetes": [
        "blood glucose 320 mg/dL with polyuria and polydipsia, HbA1c 10.2 percent",
        "type 2 diabetes on metformin, counselled on diet and insulin titration",
        "diabetic ketoacidosis with vomiting, anion gap acidosis, insulin infusion started",
        "numbness and burning in both feet consistent with diabetic peripheral neuropathy",
        "found confused and sweating, fingerstick glucose 42, hypoglycemia treated with IV dextrose",
        "non-healing ulcer on the sole of the foot in a poorly controlled diabetic",
        "new diagnosis of type 1 diabetes, weight loss and thirst, started on basal-bolus insulin",
        "annual diabetes review, HbA1c 6.8 percent, denies chest pain, retinal screening ordered",
    ],
    "orthopedic": [
        "fell on outstretched hand, wrist swelling, x-ray shows distal radius fracture",
        "twisted knee playing football, MRI confirms anterior cruciate ligament tear",
        "chronic lower back pain radiating down the leg, lumbar disc herniation suspected",
        "hip fracture after a fall at home, scheduled for surgical repair",
        "chest wall pain after falling against a table, tender over the ribs, x-ray shows two rib fractures",
        "ankle rolled on a curb, unable to bear weight, lateral malleolus fracture in a cast",
        "shoulder pain and weakness lifting the arm overhead, rotator cuff tear on ultrasound",
        "broken collarbone after a cycling accident, managed in a sling",
    ],
    "neurology": [
        "sudden left-sided weakness and facial droop, CT negative for bleed, stroke protocol activated",
        "recurrent throbbing unilateral headache with aura and photophobia, migraine",
        "witnessed generalized tonic-clonic seizure, postictal confusion, started levetiracetam",
        "progressive memory loss over two years, family reports getting lost, dementia workup",
        "slurred speech and arm weakness that resolved within an hour, transient ischemic attack",
        "resting tremor, shuffling gait and slowness of movement, Parkinson disease suspected",
        "worst headache of her life with neck stiffness, CT shows subarachnoid hemorrhage",
        "tingling in both legs ascending over days with areflexia, Guillain-Barre syndrome",
    ],
    "dermatology": [
        "itchy red scaly plaques on elbows and knees, psoriasis",
        "changing pigmented mole with irregular border, referred for melanoma biopsy",
        "vesicular painful rash in a dermatomal band on the trunk, herpes zoster",
        "acne vulgaris with comedones and pustules on the face, topical retinoid prescribed",
        "hot, red, swollen skin spreading up the lower leg with fever, cellulitis, IV antibiotics",
        "itchy flexural eczema flaring in winter, emollients and topical steroid",
        "pearly nodule with rolled edges on the nose, basal cell carcinoma excised",
        "widespread hives and lip swelling after a new antibiotic, urticaria, drug allergy recorded",
    ],
    "gastro": [
        "right lower quadrant abdominal pain with rebound tenderness, appendicitis suspected",
        "burning epigastric pain after meals, improved with proton pump inhibitor, reflux",
        "bloody diarrhea and cramping for three weeks, colonoscopy shows ulcerative colitis",
        "jaundice and right upper quadrant pain after fatty meals, gallstones on ultrasound",
        "burning chest pain behind the breastbone after large meals and lying flat, GERD, ECG normal",
        "black tarry stools and dizziness, hemoglobin dropped, upper GI bleed from a peptic ulcer",
        "severe epigastric pain boring through to the back, lipase elevated, acute pancreatitis",
        "ascites and spider angiomas in a heavy drinker, cirrhosis",
    ],
    "renal": [
        "severe colicky flank pain radiating to the groin with hematuria, kidney stone",
        "rising creatinine and reduced urine output, acute kidney injury after dehydration",
        "burning urination and urinary frequency, urinalysis positive for nitrites, UTI",
        "chronic kidney disease stage 4, discussed dialysis planning",
        "fever, rigors and costovertebral angle tenderness, pyelonephritis",
        "potassium 6.8 with peaked T waves in a dialysis patient who missed a session",
        "frothy urine and leg swelling, heavy proteinuria, nephrotic syndrome",
        "diabetic kidney disease with microalbuminuria, started an ACE inhibitor",
    ],
    "psychiatry": [
        "low mood, anhedonia and poor sleep for two months, major depressive disorder",
        "panic attacks with racing heart, chest tightness and fear of dying, cardiac workup negative",
        "auditory hallucinations and paranoid thoughts, first episode psychosis",
        "alcohol use disorder with withdrawal tremor, started on benzodiazepine taper",
        "constant worry, restlessness and muscle tension for a year, generalized anxiety disorder",
        "decreased need for sleep, pressured speech and overspending, manic episode",
        "nightmares and flashbacks after a car crash, post-traumatic stress disorder",
        "passive suicidal thoughts without a plan, safety plan made, psychiatry follow-up",
    ],
    "pediatric": [
        "toddler with high fever and ear pulling, red bulging eardrum, otitis media",
        "infant with barking cough and stridor at night, croup treated with dexamethasone",
        "child with itchy vesicles in crops all over the body, chickenpox",
        "school-age child with inattention and hyperactivity, ADHD evaluation",
        "infant with fast breathing, wheeze and poor feeding in winter, bronchiolitis",
        "child with fever for five days, red eyes, cracked lips and swollen hands, Kawasaki disease",
        "teenager with a broken forearm after falling off a skateboard, cast applied",
        "well-child visit, growth on the 50th percentile, vaccinations up to date",
    ],
}

DETAILS = {
    "cardiac": ["BP 150/90, HR 104.", "Aspirin and heparin given.", "Cardiology consulted.",
                "Lipids and echo ordered."],
    "respiratory": ["Temp 38.6 C, SpO2 89 percent on room air.", "Chest x-ray repeated.",
                    "Inhaler technique reviewed.", "Blood cultures drawn."],
    "diabetes": ["Foot exam and eye screening arranged.", "Diet reviewed with the dietitian.",
                 "Glucose log reviewed.", "Potassium monitored."],
    "orthopedic": ["Neurovascularly intact distally.", "Analgesia and ice.", "Physiotherapy referral.",
                   "Orthopedics to review."],
    "neurology": ["NIH stroke scale documented.", "MRI brain requested.", "Neurology consulted.",
                  "Driving advice given."],
    "dermatology": ["Photographs taken for the record.", "Dermatology follow-up in six weeks.",
                    "Skin biopsy sent.", "Advised sun protection."],
    "gastro": ["Abdomen soft elsewhere.", "Surgery consulted.", "Liver function tests sent.",
               "Nil by mouth for now."],
    "renal": ["Urine culture sent.", "IV fluids started.", "Renal ultrasound requested.",
              "Nephrology consulted."],
    "psychiatry": ["PHQ-9 score recorded.", "Risk assessment documented.", "Started on sertraline.",
                   "Therapy referral made."],
    "pediatric": ["Parents reassured.", "Weight-based dosing.", "Tolerating fluids.",
                  "Return precautions given to the mother."],
}

PATIENTS = ["54-year-old man", "67-year-old woman", "23-year-old woman", "41-year-old man", "78-year-old man",
            "35-year-old woman", "60-year-old woman", "19-year-old man"]
CHILDREN = ["3-year-old boy", "8-month-old girl", "6-year-old girl", "12-year-old boy"]
SETTINGS = ["Seen in the emergency department.", "Clinic follow-up visit.", "Admitted to the ward.",
            "Telephone consultation.", "Seen by the night registrar."]
# The same facts written as different clinicians write them.
TEMPLATES = [
    "{patient}: {finding}. {detail} {setting}",
    "HPI: {patient} presenting with {finding}. {detail}",
    "{setting} {patient}, {finding}. Plan: {detail}",
    "Assessment: {finding} in a {patient}. {detail} {setting}",
]


def notes():
    """[(topic, text)] — 10 topics x 8 findings x 4 writings = 320 notes, deterministic."""
    out = []
    for t, (topic, findings) in enumerate(FINDINGS.items()):
        people = CHILDREN if topic == "pediatric" else PATIENTS
        for (i, finding), k in itertools.product(enumerate(findings), range(len(TEMPLATES))):
            n = len(out)
            text = TEMPLATES[(i + k) % len(TEMPLATES)].format(
                patient=people[(3 * i + k + t) % len(people)], finding=finding,
                detail=DETAILS[topic][(i + 2 * k) % len(DETAILS[topic])], setting=SETTINGS[n % len(SETTINGS)])
            out.append((topic, text[0].upper() + text[1:]))
    return out


SEARCHES = [
    ("heart attack with chest pain", "cardiac"),
    ("trouble breathing and lung infection", "respiratory"),
    ("high blood sugar", "diabetes"),
    ("broken bone", "orthopedic"),
]
