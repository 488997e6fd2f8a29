// The support desk's screens, loaded together on first use (routes.tsx).
export { AccountDesk } from './AccountDesk.tsx';
export { FindAccount } from './FindAccount.tsx';
