"""The people and Salesforce record ids of the landing fixture tests/fixtures/landing/salesforce_mailchimp/,
shared by test_source_salesforce.py and test_source_mailchimp.py."""

ANA, ANA2, INES = "ana.silva@example.com", "ana.silva2@example.com", "ines.garcia@wayne.example"
BOB, CARLA, KOFI = "bob.smith@acme.example", "carla.rossi@globex.example", "kofi.jensen@vandelay.example"
JON, HIRO = "jon.weber@acme.example", "hiro.tanaka@stark.example"
LENA, MARTA, NILS = "lena.novak@vandelay.example", "marta.costa@initech.example", "nils.larsen@hooli.example"
OLGA, TARA, UGO = "olga.ivanova@globex.example", "tara.weber@umbrella.example", "ugo.rossi@vandelay.example"
QUINN = "quinn.brown@stark.example"

CONTACT_A, CONTACT_B, CONTACT_C = "003A00000000001AAA", "003A00000000002AAA", "003A00000000003AAA"
CONTACT_I, CONTACT_J = "003A00000000009AAA", "003A00000000010AAA"
IND_A, IND_B, IND_K = "0PKA00000000001AAA", "0PKA00000000002AAA", "0PKA00000000011AAA"
CPT1, CPT2, CPT3 = "0ZYA00000000001AAA", "0ZYA00000000002AAA", "0ZYA00000000003AAA"
CPT8, CPT10 = "0ZYA00000000008AAA", "0ZYA00000000010AAA"
