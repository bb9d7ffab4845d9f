// The public surface of src/accounts (docs/ARCHITECTURE.md, "Module surfaces"): what the other modules may use.
export { ensurePerson, findPersonByEmail, getPerson, requireEmail } from './people.ts';
export type { Person } from './people.ts';
export { requestLoginLink } from './requestLoginLink.ts';
export { setOperator } from './setOperator.ts';
export { lockPerson } from './people.ts';
export { nameIfUnnamed } from './people.ts';
export { peopleByIds } from './people.ts';
